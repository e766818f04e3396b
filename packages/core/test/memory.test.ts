import { runBackendConformance, runDualEntryCheck } from '@llmcache/test-suite';
import { Cache, MemoryBackend } from '@llmcache/core';

runDualEntryCheck({ describe, it, beforeAll, afterAll }, '@llmcache/core');
runBackendConformance(
  { describe, it, beforeAll, afterAll },
  {
    name: 'memory',
    create: () => new MemoryBackend({ maxSizePerItem: 16 * 1024 }),
    persistent: false,
  },
);

describe('MemoryBackend bounds', () => {
  it('evicts the least recently used entry past maxSizeInMemory', async () => {
    const backend = new MemoryBackend({ maxSizeInMemory: 2 });
    backend.set('a', '1', null);
    backend.set('b', '2', null);
    backend.get('a');
    backend.set('c', '3', null);
    expect([backend.get('a'), backend.get('b'), backend.get('c')]).toEqual(['1', undefined, '3']);
  });

  it('keeps total bytes under maxBytesInMemory', () => {
    const backend = new MemoryBackend({ maxSizeInMemory: 1000, maxBytesInMemory: 10_000 });
    for (let i = 0; i < 50; i++) backend.set(`k${i}`, 'x'.repeat(1000), null);
    expect(backend.size).toBeLessThanOrEqual(10);
    expect(backend.get('k49')).toBeDefined();
    expect(backend.get('k0')).toBeUndefined();
  });

  it('does not store an entry larger than maxSizePerItem (KB), and drops an older value of that key', async () => {
    const cache = new Cache({ maxSizePerItem: 1 });
    await cache.set('k', 'small');
    await cache.set('k', 'y'.repeat(2048));
    expect(await cache.get('k')).toBeUndefined();
    await cache.set('k', 'z'.repeat(900));
    expect((await cache.get('k'))?.value).toBe('z'.repeat(900));
  });

  it('counts bytes, not UTF-16 units', () => {
    const backend = new MemoryBackend({ maxSizePerItem: 1 });
    backend.set('k', '€'.repeat(400), null); // 1200 bytes in UTF-8
    expect(backend.get('k')).toBeUndefined();
  });
});
