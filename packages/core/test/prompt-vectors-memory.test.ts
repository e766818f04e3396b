import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PromptVectors } from '@llmcache/core';

/** A full garbage collection, so that heap figures count only what is still held. */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('PromptVectors memo', () => {
  it('300 distinct ~1 MB prompts leave a few MB on the heap, not the prompts themselves', async () => {
    const vectors = new PromptVectors('test', async (texts) => texts.map((t) => [t.length % 7, 1, 2, 3]));
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 300; i++) {
      // A fresh 1 MB string each time, referenced by nothing but the call.
      await vectors.vector(`${i}:`.padEnd(1_000_000, String.fromCharCode(97 + (i % 26))));
    }
    collect();
    const heldMb = (process.memoryUsage().heapUsed - before) / 1e6;
    console.log(`heap held after 300 prompts of 1 MB: ${heldMb.toFixed(1)} MB`);
    expect(heldMb).toBeLessThan(30); // 277 MB when the memo kept each prompt as its key
    // Still a memo: a prompt seen last is answered without embedding again.
    let calls = 0;
    const counted = new PromptVectors('test', async (texts) => (calls++, texts.map(() => [1, 0])));
    await counted.vector('same prompt');
    await counted.vector('same prompt');
    expect(calls).toBe(1);
  }, 60_000);

  it('is bounded by bytes: large vectors evict older ones', async () => {
    const vectors = new PromptVectors('test', async (texts) => texts.map(() => Array.from({ length: 8192 }, (_, i) => i + 1)));
    for (let i = 0; i < 300; i++) await vectors.vector(`prompt ${i}`);
    console.log(`memo bytes after 300 vectors of 8192 dimensions: ${vectors.memoBytes}`);
    expect(vectors.memoBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(vectors.memoBytes).toBeGreaterThan(0);
  });
});
