import { runBackendConformance } from '@llmcache/test-suite';
import { Cache, CacheConfigError, ObjectStoreBackend, TieredBackend, withMemoryTier, type ObjectStore, type StoredObject } from '@llmcache/core';
import { EXPIRES_AT_METADATA, LENGTH_METADATA, objectNameOf, validateObjectPrefix } from '@llmcache/core/internal';

/**
 * The object-store contract kept in a Map, the way S3, GCS and Azure Blob keep objects: whole bodies
 * with string metadata. The packages of those stores run the same suite against their real servers.
 */
class MapStore implements ObjectStore {
  readonly name = 'map';
  readonly objects = new Map<string, StoredObject>();
  readonly removed: string[] = [];
  delayMs = 0;
  aborted = 0;

  async read(name: string, signal: AbortSignal): Promise<StoredObject | undefined> {
    await this.wait(signal);
    return this.objects.get(name);
  }
  async write(name: string, body: string, metadata: Record<string, string>, signal: AbortSignal): Promise<void> {
    await this.wait(signal);
    this.objects.set(name, { body, metadata: { ...metadata } });
  }
  async remove(name: string, signal: AbortSignal): Promise<void> {
    await this.wait(signal);
    this.removed.push(name);
    this.objects.delete(name);
  }
  /** Pages of two names, in name order, as S3 lists them (but shorter, so paging is exercised). */
  async list(prefix: string, token: string | undefined, signal: AbortSignal): Promise<{ names: string[]; token?: string }> {
    await this.wait(signal);
    const names = [...this.objects.keys()].filter((name) => name.startsWith(prefix) && (token === undefined || name > token)).sort();
    return names.length > 2 ? { names: names.slice(0, 2), token: names[1] } : { names };
  }
  private wait(signal: AbortSignal): Promise<void> {
    if (this.delayMs === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, this.delayMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        this.aborted++;
        reject(signal.reason);
      });
    });
  }
}

const shared = new MapStore();
runBackendConformance(
  { describe, it, beforeAll, afterAll },
  {
    name: 'object-store(map)',
    create: () => new ObjectStoreBackend({ store: shared, pkg: 'test', prefix: 'conformance' }),
    corrupt: async (backend, key) => {
      const name = (backend as ObjectStoreBackend).objectName(key);
      const object = shared.objects.get(name)!;
      shared.objects.set(name, { body: object.body.slice(0, object.body.length / 2), metadata: {} });
    },
  },
);

describe('object names', () => {
  it('puts a namespaced key under prefix/namespace/hash and a plain key under prefix/hash', () => {
    expect(objectNameOf('llmcache/prod', 'tenant-a:abc123')).toBe('llmcache/prod/tenant-a/abc123');
    expect(objectNameOf('llmcache', 'abc123')).toBe('llmcache/abc123');
    expect(objectNameOf('', 'ns:abc')).toBe('ns/abc');
  });

  it('never lets a namespace or key climb out of its folder or add one', () => {
    for (const hostile of ['..', '.', '../../etc', '/abs', 'a/b', 'a\\b', 'x\u0000y', '\n', 'é', '%2E%2E']) {
      const name = objectNameOf('safe', `${hostile}:${hostile}`);
      const segments = name.split('/');
      expect(segments).toHaveLength(3);
      expect(segments[0]).toBe('safe');
      for (const segment of segments) {
        expect(segment).not.toMatch(/^\.{1,2}$/);
        expect(segment).toMatch(/^[A-Za-z0-9._%-]+$/);
      }
    }
  });

  it('keeps distinct namespaces distinct', () => {
    const names = new Set(['a/b', 'a%2Fb', 'a:b', '..', '%2E%2E', '.'].map((ns) => objectNameOf('p', `${ns}:k`)));
    expect(names.size).toBe(6);
  });

  it.each([
    ['/root', 'leading'],
    ['a/../b', '".."'],
    ['a//b', 'empty'],
    ['./a', '"."'],
    ['a\u0001b', 'control'],
    ['a\\b', 'backslash'],
  ])('refuses the prefix %j, naming the option', (prefix, why) => {
    const err = (() => {
      try {
        validateObjectPrefix('s3', 's3Path', prefix);
      } catch (e) {
        return e as CacheConfigError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CacheConfigError);
    expect(err!.option).toBe('s3Path');
    expect(err!.message).toMatch(new RegExp(why));
  });

  it('accepts a nested prefix with or without its trailing slash', () => {
    expect(validateObjectPrefix('s3', 's3Path', 'team/llm/')).toBe('team/llm');
    expect(validateObjectPrefix('s3', 's3Path', undefined)).toBe('');
  });
});

describe('ObjectStoreBackend', () => {
  it('encodes a name per code point: an emoji and two U+FFFD are different folders', () => {
    expect(objectNameOf('p', 'ns\u{1F600}:h')).toBe('p/ns%F0%9F%98%80/h');
    expect(objectNameOf('p', 'ns\ufffd\ufffd:h')).toBe('p/ns%EF%BF%BD%EF%BF%BD/h');
  });

  it('clears one namespace folder across pages, and refuses to clear everything at the bucket root', async () => {
    const store = new MapStore();
    const backend = new ObjectStoreBackend({ store, pkg: 'test', prefix: 'c' });
    for (const key of ['team:1', 'team:2', 'team:3', 'team:eu:1', 'other:1', 'plain']) await backend.set(key, 'v', null);
    await backend.clear('team');
    expect([...store.objects.keys()].sort()).toEqual(['c/other/1', 'c/plain', 'c/team%3Aeu/1']);
    await backend.clear();
    expect(store.objects.size).toBe(0);
    const atRoot = new ObjectStoreBackend({ store, pkg: 'test' });
    await atRoot.set('team:1', 'v', null);
    await expect(atRoot.clear()).rejects.toThrow(/folder/);
    await atRoot.clear('team');
    expect(store.objects.size).toBe(0);
  });

  it('writes the expiry with the object, never serves it after, and removes it when met', async () => {
    const store = new MapStore();
    const backend = new ObjectStoreBackend({ store, pkg: 'test' });
    await backend.set('ns:k', 'value', 50);
    const written = store.objects.get('ns/k')!;
    expect(Number(written.metadata[EXPIRES_AT_METADATA])).toBeGreaterThan(Date.now());
    expect(await backend.get('ns:k')).toBe('value');
    await new Promise((r) => setTimeout(r, 80));
    expect(await backend.get('ns:k')).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(store.removed).toEqual(['ns/k']);
  });

  it('writes no expiry for an entry that never expires', async () => {
    const store = new MapStore();
    await new ObjectStoreBackend({ store, pkg: 'test' }).set('k', 'v', null);
    expect(store.objects.get('k')!.metadata[EXPIRES_AT_METADATA]).toBeUndefined();
  });

  it('refuses a body shorter than was written, and a Cache reads it as a reported miss', async () => {
    const store = new MapStore();
    const cache = new Cache({ backend: new ObjectStoreBackend({ store, pkg: 'test' }) });
    const errors: Error[] = [];
    cache.on('error', (e) => errors.push(e));
    await cache.set('k', { answer: 'a long enough answer' });
    const object = store.objects.get('k')!;
    expect(object.metadata[LENGTH_METADATA]).toBe(String(object.body.length));
    // Cut where the JSON still parses, so only the length check can catch it.
    const cut = object.body.replace('a long enough answer', 'a long');
    store.objects.set('k', { body: cut, metadata: object.metadata });
    expect(await cache.get('k')).toBeUndefined();
    expect(errors.map((e) => e.message).join()).toMatch(/partial/);
    await new Promise((r) => setImmediate(r));
    expect(store.objects.has('k')).toBe(false);
  });

  it('applies writes and removals of one object in the order they were made, however long each takes', async () => {
    const store = new MapStore();
    const remove = store.remove.bind(store);
    // A removal slower than the write after it, as two requests on two sockets can be.
    store.remove = async (name, signal) => {
      await new Promise((r) => setTimeout(r, 40));
      return remove(name, signal);
    };
    const cache = new Cache({ backend: new ObjectStoreBackend({ store, pkg: 'test' }) });
    cache.on('error', () => undefined);
    await cache.set('damaged', 'first');
    store.objects.set('damaged', { body: '{"v":1,', metadata: {} });
    // The failed decode starts a removal that Cache does not wait for; the next write must land after it.
    expect(await cache.get('damaged')).toBeUndefined();
    await cache.set('damaged', 'second');
    await cache.set('expiring', 'old', { ttlMs: 10 });
    await new Promise((r) => setTimeout(r, 20));
    expect(await cache.get('expiring')).toBeUndefined(); // met expired: its removal starts
    await cache.set('expiring', 'new');
    await new Promise((r) => setTimeout(r, 100));
    expect((await cache.get('damaged'))?.value).toBe('second');
    expect((await cache.get('expiring'))?.value).toBe('new');
  });

  it('aborts a request that outlives requestTimeoutMs, and every request on close()', async () => {
    const store = new MapStore();
    const backend = new ObjectStoreBackend({ store, pkg: 'test', requestTimeoutMs: 30 });
    store.delayMs = 5_000;
    const started = Date.now();
    await expect(backend.get('k')).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    const slow = new ObjectStoreBackend({ store, pkg: 'test', requestTimeoutMs: 60_000 });
    const pending = slow.set('k', 'v', null);
    await slow.close();
    await expect(pending).rejects.toThrow(/closed/);
    expect(store.aborted).toBe(2);
  });

  it("lets a finished request's signal go: it never fires after the request has ended", async () => {
    const store = new MapStore();
    const signals: AbortSignal[] = [];
    const read = store.read.bind(store);
    store.read = (name, signal) => {
      signals.push(signal);
      return read(name, signal);
    };
    const backend = new ObjectStoreBackend({ store, pkg: 'test', requestTimeoutMs: 40 });
    await backend.get('k');
    await new Promise((r) => setTimeout(r, 120));
    // An SDK keeps its abort listeners (and what they hold) until the signal fires or is dropped.
    expect(signals.map((s) => s.aborted)).toEqual([false]);
    await backend.close();
    expect(signals[0]!.aborted).toBe(false);
  });

  it('reads a batch with at most batchConcurrency requests in flight, in key order', async () => {
    const store = new MapStore();
    let inFlight = 0;
    let most = 0;
    const read = store.read.bind(store);
    store.read = async (name, signal) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return read(name, signal);
    };
    const backend = new ObjectStoreBackend({ store, pkg: 'test', batchConcurrency: 3 });
    await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => backend.set(`k${i}`, `v${i}`, null)));
    expect(await backend.getMany(['k6', 'missing', 'k0', 'k3', 'k5', 'k1', 'k2', 'k4'])).toEqual(['v6', undefined, 'v0', 'v3', 'v5', 'v1', 'v2', 'v4']);
    expect(most).toBe(3);
  });

  it('refuses bad options by name', () => {
    expect(() => new ObjectStoreBackend({ store: new MapStore(), pkg: 'gcs', prefix: '../up', prefixOption: 'gcsPath' })).toThrow(/gcsPath/);
    expect(() => new ObjectStoreBackend({ store: new MapStore(), pkg: 'gcs', requestTimeoutMs: -1 })).toThrow(/requestTimeoutMs/);
    expect(() => new ObjectStoreBackend({ store: new MapStore(), pkg: 'gcs', batchConcurrency: 0 })).toThrow(/batchConcurrency/);
  });
});

describe('withMemoryTier', () => {
  it('puts a bounded memory tier in front unless memoryTier is false', () => {
    const remote = new ObjectStoreBackend({ store: new MapStore(), pkg: 'test' });
    const tiered = withMemoryTier(remote, { maxSizeInMemory: 5 });
    expect(tiered).toBeInstanceOf(TieredBackend);
    expect((tiered as TieredBackend).remote).toBe(remote);
    expect(withMemoryTier(remote, { memoryTier: false })).toBe(remote);
    expect(() => withMemoryTier(remote, { maxSizeInMemory: 0 })).toThrow(/maxSizeInMemory/);
  });
});
