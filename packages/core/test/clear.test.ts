import { Cache, CacheBackendError, CacheConfigError, MemoryBackend, isKeyInNamespace, namespaceOfKey, type CacheBackend } from '@llmcache/core';

describe('namespaces of keys', () => {
  it('takes what comes before the last ":" as the namespace, so a namespace may hold ":"', () => {
    expect(namespaceOfKey('abc')).toBeUndefined();
    expect(namespaceOfKey('team:abc')).toBe('team');
    expect(namespaceOfKey('team:eu:abc')).toBe('team:eu');
    expect(isKeyInNamespace('team:abc', 'team')).toBe(true);
    expect(isKeyInNamespace('team:eu:abc', 'team')).toBe(false);
    expect(isKeyInNamespace('teams:abc', 'team')).toBe(false);
    expect(isKeyInNamespace('team:eu:abc', 'team:eu')).toBe(true);
    expect(isKeyInNamespace('abc', undefined)).toBe(true);
  });
});

describe('Cache.clear', () => {
  it('rejects with a CacheBackendError when the backend has no clear()', async () => {
    const backend: CacheBackend = { name: 'bare', get: () => undefined, set: () => true, delete: () => undefined };
    await expect(new Cache({ backend }).clear('team')).rejects.toThrow(CacheBackendError);
  });

  it("rejects with the store's error as cause when the clear fails, and counts it", async () => {
    const failure = new Error('store down');
    const backend = Object.assign(new MemoryBackend(), { clear: () => Promise.reject(failure) });
    const cache = new Cache({ backend });
    const err = (await cache.clear().catch((e: unknown) => e)) as CacheBackendError;
    expect(err).toBeInstanceOf(CacheBackendError);
    expect(err.operation).toBe('clear');
    expect(err.cause).toBe(failure);
    expect(cache.stats().errors).toBe(1);
  });

  it('refuses an empty or ill-formed namespace with a CacheConfigError naming it', async () => {
    const cache = new Cache();
    for (const bad of ['', 'a\ud800']) {
      const err = (await cache.clear(bad).catch((e: unknown) => e)) as CacheConfigError;
      expect(err).toBeInstanceOf(CacheConfigError);
      expect(err.option).toBe('namespace');
    }
  });

  it('refuses a lone surrogate in a batch key before any of the batch reaches the store', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend });
    await expect(
      cache.setMany([
        { key: 'fine', value: 1 },
        { key: 'bad\udfff', value: 2 },
      ]),
    ).rejects.toThrow(CacheConfigError);
    expect(backend.get('fine')).toBeUndefined();
    await expect(cache.getMany(['fine', 'bad\udfff'])).rejects.toThrow(/key/);
    await expect(cache.wrap('bad\udfff', () => Promise.resolve(1), { control: cache.resolveControl('completion') })).rejects.toThrow(CacheConfigError);
  });
});
