import { Cache, MemoryBackend } from '@llmcache/core';

describe('maxBytesInMemory counts keys', () => {
  const CAP = 1024 * 1024;
  const namespace = 'n'.repeat(100 * 1024);

  /** Key and value bytes of every written entry still held. */
  function heldBytes(backend: MemoryBackend, keys: readonly string[]): number {
    let total = 0;
    for (const key of keys) {
      const value = backend.get(key);
      if (value !== undefined) total += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
    return total;
  }

  it('entries with large keys never hold more than the cap (backend)', () => {
    const backend = new MemoryBackend({ maxBytesInMemory: CAP });
    const keys: string[] = [];
    for (let i = 0; i < 200; i++) {
      const key = `${namespace}:${i}`;
      keys.push(key);
      expect(backend.set(key, 'v', null)).toBe(true);
      expect(backend.bytes).toBeLessThanOrEqual(CAP);
    }
    const held = heldBytes(backend, keys);
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(CAP);
    expect(backend.bytes).toBe(held);
    // Each entry is just over 100 KiB, so about nine fit, and they are the newest.
    expect(backend.size).toBeLessThanOrEqual(10);
    expect(backend.get(keys[199]!)).toBe('v');
  });

  it('entries with large keys never hold more than the cap (through Cache)', async () => {
    const cache = new Cache({ maxBytesInMemory: CAP });
    const backend = cache.backend as MemoryBackend;
    const keys: string[] = [];
    for (let i = 0; i < 200; i++) {
      const key = `${namespace}:${i}`;
      keys.push(key);
      await cache.set(key, { answer: i });
    }
    expect(heldBytes(backend, keys)).toBeLessThanOrEqual(CAP);
    expect((await cache.get(keys[199]!))?.value).toEqual({ answer: 199 });
  });

  it('an entry whose key and value together pass the cap is declined, and drops an older value of that key', async () => {
    const cache = new Cache({ maxBytesInMemory: 4096, maxSizePerItem: 1024 });
    const key = 'k'.repeat(3000);
    expect(await cache.set(key, 'small')).toBe(true);
    // The value alone is under maxSizePerItem and under the cap; with its key it is not.
    expect(await cache.set(key, 'v'.repeat(1500))).toBe(false);
    expect(await cache.get(key)).toBeUndefined();
    expect((cache.backend as MemoryBackend).bytes).toBe(0);
  });

  it('maxSizePerItem still measures the value alone', () => {
    const backend = new MemoryBackend({ maxSizePerItem: 1 });
    expect(backend.set('k'.repeat(2000), 'v'.repeat(1000), null)).toBe(true);
    expect(backend.set('k', 'v'.repeat(1025), null)).toBe(false);
  });
});
