import { Cache, CacheBackendError, CacheConfigError, MemoryBackend, type CacheBackend, type DistributedLock } from '@llmcache/core';
import { validateCacheOptions } from '@llmcache/core/internal';

const control = (cache: Cache) => cache.resolveControl('completion');

/** A backend whose every operation can be made to throw or hang, over a real MemoryBackend. */
class FlakyBackend implements CacheBackend {
  readonly name = 'flaky';
  readonly inner = new MemoryBackend();
  failure: 'none' | 'throw' | 'reject' | 'hang' = 'none';
  /** Answers this late (when not failing). */
  delayMs = 0;
  readTimeoutMs: number | undefined;
  private act<T>(op: () => T): T | Promise<T> {
    if (this.failure === 'throw') throw new Error('connection refused');
    if (this.failure === 'reject') return Promise.reject(new Error('ECONNRESET'));
    if (this.failure === 'hang') return new Promise<T>(() => {});
    if (this.delayMs > 0) return new Promise<T>((resolve) => setTimeout(() => resolve(op()), this.delayMs));
    return Promise.resolve(op());
  }
  get(key: string) {
    return this.act(() => this.inner.get(key));
  }
  set(key: string, value: string, ttlMs: number | null) {
    return this.act(() => this.inner.set(key, value, ttlMs));
  }
  delete(key: string) {
    return this.act(() => this.inner.delete(key));
  }
}

describe('Cache options', () => {
  it.each([
    [{ ttl: -5 }, 'ttl'],
    [{ ttl: 0 }, 'ttl'],
    [{ ttl: '60' }, 'ttl'],
    [{ namespace: 3 }, 'namespace'],
    [{ mode: 'on' }, 'mode'],
    [{ type: 'memcached' }, 'type'],
    [{ supportedCallTypes: ['chat'] }, 'supportedCallTypes'],
    [{ similarityThreshold: 1.5 }, 'similarityThreshold'],
    [{ similarityThreshold: 0 }, 'similarityThreshold'],
    [{ port: 70000 }, 'port'],
    [{ redisStartupNodes: [{ host: 'h', port: 'x' }] }, 'redisStartupNodes[0].port'],
    [{ maxSizeInMemory: 1.5 }, 'maxSizeInMemory'],
    [{ hostname: 'x' }, 'hostname'],
    [{ backend: {} }, 'backend'],
    [{ backend: new MemoryBackend(), type: 'redis' }, 'backend'],
  ])('%j is a CacheConfigError naming %s', (options, option) => {
    let caught: unknown;
    try {
      new Cache(options as never);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CacheConfigError);
    expect((caught as CacheConfigError).name).toBe('CacheConfigError');
    expect((caught as CacheConfigError).option).toBe(option);
    expect((caught as Error).message).toMatch(/^\[llmcache\]\[core\] /);
  });

  it('takes the S3 session token and path-style switch, checked by type', () => {
    expect(validateCacheOptions({ type: 's3', s3AwsSessionToken: 'token', s3ForcePathStyle: false })).toMatchObject({ s3ForcePathStyle: false });
    expect(() => validateCacheOptions({ s3AwsSessionToken: '' })).toThrow(/s3AwsSessionToken: must be a non-empty string/);
    expect(() => validateCacheOptions({ s3ForcePathStyle: 'yes' })).toThrow(/s3ForcePathStyle: must be true or false/);
  });

  it("suggests the camelCase name for LiteLLM's snake_case options", () => {
    expect(() => new Cache({ s3_bucket_name: 'b' } as never)).toThrow(/did you mean s3BucketName/);
  });

  it('names the package to install for a type whose package is missing', () => {
    // Every backend package is installed in this workspace: make the lookup fail as Node does for a missing one.
    jest.doMock('@llmcache/gcs', () => {
      throw Object.assign(new Error("Cannot find module '@llmcache/gcs'"), { code: 'MODULE_NOT_FOUND' });
    });
    let caught: unknown;
    try {
      new Cache({ type: 'gcs', gcsBucketName: 'b' });
    } catch (err) {
      caught = err;
    } finally {
      jest.dontMock('@llmcache/gcs');
    }
    expect(caught).toBeInstanceOf(CacheConfigError);
    expect((caught as Error).message).toContain('npm install @llmcache/gcs');
    expect((caught as Error).cause).toBeDefined();
  });

  it('defaults to an in-memory backend', () => {
    expect(new Cache().backend).toBeInstanceOf(MemoryBackend);
  });
});

describe('a failing backend never fails the caller', () => {
  it.each(['throw', 'reject', 'hang'] as const)('backend that %ss: get is a miss, set resolves false, both reported', async (failure) => {
    const backend = new FlakyBackend();
    const cache = new Cache({ backend, operationTimeoutMs: 50 });
    const errors: CacheBackendError[] = [];
    cache.on('error', (err) => errors.push(err));
    backend.failure = failure;
    await expect(cache.get('k')).resolves.toBeUndefined();
    await expect(cache.set('k', 'v')).resolves.toBe(false);
    await expect(cache.getMany(['a', 'b'])).resolves.toEqual([undefined, undefined]);
    expect(errors.map((e) => e.operation)).toEqual(['get', 'set', 'getMany']);
    expect(errors[0]).toBeInstanceOf(CacheBackendError);
    expect(errors[0]!.backend).toBe('flaky');
    expect(errors[0]!.cause).toBeDefined();
    expect(cache.stats()).toMatchObject({ errors: 3, misses: 3, writes: 0 });
  });

  it('wrap still computes and returns the value when the backend is down', async () => {
    const backend = new FlakyBackend();
    backend.failure = 'reject';
    const cache = new Cache({ backend });
    const result = await cache.wrap('k', async () => 'fresh', { control: control(cache) });
    expect(result).toEqual({ value: 'fresh', source: 'computed' });
  });

  it('an error event with no listener does not throw', async () => {
    const backend = new FlakyBackend();
    backend.failure = 'throw';
    const cache = new Cache({ backend });
    await expect(cache.get('k')).resolves.toBeUndefined();
  });

  it('an entry of another format version is a miss, reported', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend });
    backend.set('k', JSON.stringify({ v: 99, c: Date.now(), e: null, d: 'future' }), null);
    const errors: CacheBackendError[] = [];
    cache.on('error', (err) => errors.push(err));
    expect(await cache.get('k')).toBeUndefined();
    expect(errors[0]?.message).toMatch(/format version 99/);
  });
});

describe('a backend that times out its own reads', () => {
  it('is left to end them (Cache adds no timer), unless its bound is longer than the cache timeout; writes are always timed', async () => {
    const backend = new FlakyBackend();
    const cache = new Cache({ backend, operationTimeoutMs: 50 });
    const errors: string[] = [];
    cache.on('error', (err) => errors.push(`${err.operation}: ${err.message}`));
    await cache.set('k', 'v');
    backend.delayMs = 150;
    // It says its reads end within 20 ms: Cache trusts it, so even this late answer is taken.
    backend.readTimeoutMs = 20;
    expect((await cache.get('k'))?.value).toBe('v');
    expect((await cache.getMany(['k']))[0]?.value).toBe('v');
    expect(errors).toEqual([]);
    // A bound longer than the cache's timeout: the cache's own timer ends the read.
    backend.readTimeoutMs = 500;
    expect(await cache.get('k')).toBeUndefined();
    // Writes are timed whatever the read bound.
    backend.readTimeoutMs = 20;
    expect(await cache.set('k', 'w')).toBe(false);
    expect(errors).toEqual([expect.stringMatching(/^get: .*no answer within 50 ms/), expect.stringMatching(/^set: .*no answer within 50 ms/)]);
  });
});

describe('events and stats', () => {
  it('emits hit, miss and set and counts them', async () => {
    const cache = new Cache();
    const seen: string[] = [];
    cache.on('hit', (e) => seen.push(`hit ${e.key}`));
    cache.on('miss', (e) => seen.push(`miss ${e.key} ${e.reason}`));
    cache.on('set', (e) => seen.push(`set ${e.key} ${e.ttlMs}`));
    await cache.get('a');
    await cache.set('a', 1, { ttlMs: 1000 });
    await cache.get('a');
    expect(seen).toEqual(['miss a absent', 'set a 1000', 'hit a']);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, writes: 1, errors: 0, hitRate: 0.5 });
  });
});

describe('single-flight', () => {
  it('100 concurrent misses of one key compute once and all get the value', async () => {
    const cache = new Cache();
    let computed = 0;
    const compute = async () => {
      computed++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { answer: 'shared' };
    };
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.wrap('k', compute, { control: control(cache) })));
    expect(computed).toBe(1);
    expect(results.every((r) => r.value.answer === 'shared')).toBe(true);
    expect(results.filter((r) => r.source === 'computed')).toHaveLength(1);
    expect(results.filter((r) => r.source === 'shared')).toHaveLength(99);
    expect((await cache.wrap('k', compute, { control: control(cache) })).source).toBe('cache');
  });

  it('a failure reaches every waiter, is not stored, and the next caller tries again', async () => {
    const cache = new Cache();
    let attempts = 0;
    const failing = async () => {
      attempts++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('upstream 500');
    };
    const settled = await Promise.allSettled(Array.from({ length: 10 }, () => cache.wrap('k', failing, { control: control(cache) })));
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(attempts).toBe(1);
    expect(await cache.get('k')).toBeUndefined();
    expect((await cache.wrap('k', async () => 'ok', { control: control(cache) })).source).toBe('computed');
  });

  it('does not store what isStorable rejects', async () => {
    const cache = new Cache();
    await cache.wrap('k', async () => '', { control: control(cache), isStorable: (v) => v !== '' });
    expect(await cache.get('k')).toBeUndefined();
  });

  it('with a DistributedLock, a second process waits for the holder and reads its value', async () => {
    // Two Cache instances over one store and one lock stand in for two processes.
    const held = new Set<string>();
    const lock: DistributedLock = {
      async acquire(key) {
        if (held.has(key)) return undefined;
        held.add(key);
        return async () => void held.delete(key);
      },
    };
    const store = new MemoryBackend();
    const first = new Cache({ backend: store, lock });
    const second = new Cache({ backend: store, lock, lockWaitMs: 5000 });
    let computed = 0;
    const compute = async () => {
      computed++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 'from the lock holder';
    };
    const [a, b] = await Promise.all([first.wrap('k', compute, { control: control(first) }), second.wrap('k', compute, { control: control(second) })]);
    expect(computed).toBe(1);
    expect(a).toEqual({ value: 'from the lock holder', source: 'computed' });
    expect(b).toEqual({ value: 'from the lock holder', source: 'cache' });
    expect(held.size).toBe(0);
  });

  it('computes anyway when the lock holder never delivers within lockWaitMs', async () => {
    const lock: DistributedLock = { acquire: async () => undefined };
    const cache = new Cache({ lock, lockWaitMs: 100 });
    const started = Date.now();
    const result = await cache.wrap('k', async () => 'computed myself', { control: control(cache) });
    expect(result.source).toBe('computed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});

describe('values JSON cannot hold', () => {
  it('a write of a value with a cycle or a BigInt resolves false and reports, never throws', async () => {
    const cache = new Cache();
    const errors: CacheBackendError[] = [];
    cache.on('error', (err) => errors.push(err));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(cache.set('a', cyclic)).resolves.toBe(false);
    await expect(cache.setMany([{ key: 'b', value: 1n }])).resolves.toBe(false);
    expect(errors.map((e) => e.operation)).toEqual(['encode', 'encode']);
    expect(await cache.get('a')).toBeUndefined();
  });
});

describe('reads check the shape of what they find', () => {
  it('a well-formed entry whose value fails validate is a miss, reported and deleted', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend });
    const errors: CacheBackendError[] = [];
    cache.on('error', (err) => errors.push(err));
    await cache.set('k', { unexpected: true });
    const isAnswer = (v: unknown) => typeof (v as { answer?: unknown })?.answer === 'string';
    expect(await cache.get('k', { validate: isAnswer })).toBeUndefined();
    expect(errors.map((e) => e.operation)).toEqual(['decode']);
    expect(backend.get('k')).toBeUndefined();
    await cache.set('k', { answer: 'fine' });
    expect((await cache.getMany(['k'], { validate: isAnswer }))[0]?.value).toEqual({ answer: 'fine' });
    const wrapped = await cache.wrap('k', async () => ({ answer: 'computed' }), { control: control(cache), validate: isAnswer });
    expect(wrapped.source).toBe('cache');
  });
});

describe('flight keys', () => {
  it('callers with different flight keys never share a computation or its failure', async () => {
    const cache = new Cache();
    const attempt = (flightKey: string, fail: boolean) =>
      cache.wrap(
        'same-key',
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          if (fail) throw new Error(`failed for ${flightKey}`);
          return flightKey;
        },
        { control: control(cache), flightKey },
      );
    const [a, b] = await Promise.allSettled([attempt('short-timeout', true), attempt('default-timeout', false)]);
    expect(a.status).toBe('rejected');
    expect(b).toEqual({ status: 'fulfilled', value: { value: 'default-timeout', source: 'computed' } });
  });
});

describe('declined writes', () => {
  it('an entry the backend declines is not counted as a write and emits no set', async () => {
    const cache = new Cache({ maxSizePerItem: 1 });
    const sets: unknown[] = [];
    cache.on('set', (e) => sets.push(e));
    await expect(cache.set('big', 'x'.repeat(5000))).resolves.toBe(false);
    expect(cache.stats().writes).toBe(0);
    expect(sets).toEqual([]);
    await expect(cache.set('small', 'x')).resolves.toBe(true);
    expect(cache.stats().writes).toBe(1);
  });

  it('the per-item limit counts the value, not the key', async () => {
    const backend = new MemoryBackend({ maxSizePerItem: 1 });
    expect(backend.set('k'.repeat(500), 'v'.repeat(1000), null)).toBe(true);
    expect(backend.get('k'.repeat(500))).toBe('v'.repeat(1000));
  });
});
