import { runBackendConformance } from '@llmcache/test-suite';
import { Cache, MemoryBackend, TieredBackend } from '@llmcache/core';
import { decodeEntry } from '@llmcache/core/internal';

// The remote tier here is a second MemoryBackend that outlives each TieredBackend, standing in for a
// shared store; @llmcache/disk runs the same suite with disk as the remote tier.
const remote = new MemoryBackend({ maxSizePerItem: 16 * 1024, maxSizeInMemory: 10_000 });
runBackendConformance(
  { describe, it, beforeAll, afterAll },
  {
    name: 'tiered(memory+memory)',
    create: () => new TieredBackend({ memory: new MemoryBackend({ maxSizePerItem: 16 * 1024 }), remote: { ...remoteFacade(remote), close: () => {} } }),
    // Plain tiers hear nothing of each other: a clear reaches only the memory tier of the instance that made it.
    coherent: false,
  },
);

function remoteFacade(store: MemoryBackend) {
  return {
    name: 'remote',
    get: (key: string) => Promise.resolve(store.get(key)),
    set: (key: string, value: string, ttlMs: number | null) => Promise.resolve(store.set(key, value, ttlMs)),
    delete: (key: string) => Promise.resolve(store.delete(key)),
    clear: (namespace?: string) => Promise.resolve(store.clear(namespace)),
  };
}

describe('TieredBackend', () => {
  afterEach(() => jest.useRealTimers());

  it('copies a remote hit into memory with the remaining lifetime, not a fresh one', async () => {
    jest.useFakeTimers({ now: 100_000 });
    const far = new MemoryBackend();
    const near = new MemoryBackend();
    const writer = new Cache({ backend: far });
    await writer.set('k', 'v', { ttlMs: 10_000 });
    jest.setSystemTime(100_000 + 6_000);
    const tiered = new Cache({ backend: new TieredBackend({ memory: near, remote: far }) });
    expect((await tiered.get('k'))?.value).toBe('v');
    const copied = near.get('k');
    expect(copied).toBeDefined();
    expect(decodeEntry(copied!).e).toBe(110_000);
    far.delete('k');
    jest.setSystemTime(100_000 + 9_999);
    expect((await tiered.get('k'))?.value).toBe('v'); // served from memory
    jest.setSystemTime(100_000 + 10_000);
    expect(await tiered.get('k')).toBeUndefined();
  });

  it("answers ping with the remote tier's health (memory always answers)", async () => {
    let healthy = true;
    const far = { ...remoteFacade(new MemoryBackend()), ping: () => Promise.resolve(healthy) };
    const cache = new Cache({ backend: new TieredBackend({ memory: new MemoryBackend(), remote: far }) });
    expect(await cache.ping()).toBe(true);
    healthy = false;
    expect(await cache.ping()).toBe(false);
    expect(await new TieredBackend({ memory: new MemoryBackend(), remote: remoteFacade(new MemoryBackend()) }).ping()).toBe(true);
  });

  it('does not copy a corrupt remote entry into memory', async () => {
    const far = new MemoryBackend();
    const near = new MemoryBackend();
    far.set('k', '{"v":1,"c":', null);
    const cache = new Cache({ backend: new TieredBackend({ memory: near, remote: far }) });
    expect(await cache.get('k')).toBeUndefined();
    expect(near.get('k')).toBeUndefined();
  });

  it('reads batches from memory first and only the missing keys from the remote', async () => {
    const far = new MemoryBackend();
    const near = new MemoryBackend();
    const cache = new Cache({ backend: far });
    await cache.setMany([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    near.set('a', far.get('a')!, null);
    const reads: string[] = [];
    const spyRemote = { name: 'far', get: (k: string) => (reads.push(k), far.get(k)), set: far.set.bind(far), delete: far.delete.bind(far) };
    const tiered = new Cache({ backend: new TieredBackend({ memory: near, remote: spyRemote }) });
    expect((await tiered.getMany(['a', 'b', 'c'])).map((h) => h?.value)).toEqual([1, 2, undefined]);
    expect(reads).toEqual(['b', 'c']);
  });
});
