import { Cache, CacheConfigError, MAX_TIMER_MS, MemoryBackend, type CacheBackend } from '@llmcache/core';
import { createBackendForType, describeValue } from '@llmcache/core/internal';
import { thrown } from '@llmcache/test-suite';

function expectConfigError(fn: () => unknown, option: string, message?: RegExp): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(CacheConfigError);
  expect((err as CacheConfigError).option).toBe(option);
  if (message) expect((err as Error).message).toMatch(message);
}

/** A real MemoryBackend behind an async hop of `delayMs`, so that every operation runs under Cache's timer. */
class DelayedBackend implements CacheBackend {
  readonly name = 'delayed';
  readonly inner = new MemoryBackend();
  constructor(private readonly delayMs: number) {}
  private later<T>(op: () => T): Promise<T> {
    return new Promise((resolve) => setTimeout(() => resolve(op()), this.delayMs));
  }
  get(key: string) {
    return this.later(() => this.inner.get(key));
  }
  set(key: string, value: string, ttlMs: number | null) {
    return this.later(() => this.inner.set(key, value, ttlMs));
  }
  delete(key: string) {
    return this.later(() => this.inner.delete(key));
  }
}

describe('option names that are Object.prototype members', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'toLocaleString'])(
    'new Cache({ %s }) is refused as an unknown option',
    (name) => {
      expectConfigError(() => new Cache({ [name]: 1 }), name, /is not a Cache option/);
    },
  );

  it('an own __proto__ key (as JSON.parse makes) is refused as an unknown option', () => {
    for (const json of ['{"__proto__": 1}', '{"__proto__": {"ttl": 5}}', '{"ttl": 5, "__proto__": null}']) {
      const options = JSON.parse(json) as object;
      expect(Object.hasOwn(options, '__proto__')).toBe(true);
      expectConfigError(() => new Cache(options), '__proto__', /is not a Cache option/);
    }
  });

  it('suggests only real options for a snake_case slip', () => {
    const wrong = thrown(() => new Cache({ has_own_property: 1 } as never)) as Error;
    expect(wrong).toBeInstanceOf(CacheConfigError);
    expect(wrong.message).not.toMatch(/did you mean/);
    const right = thrown(() => new Cache({ max_size_in_memory: 10 } as never)) as Error;
    expect(right.message).toMatch(/did you mean maxSizeInMemory\?/);
  });

  it('createBackendForType refuses a type named like an Object member', () => {
    expectConfigError(() => createBackendForType({ type: 'constructor' as never }), 'type', /must be one of/);
    expectConfigError(() => createBackendForType({ type: 'toString' as never }), 'type', /must be one of/);
  });

  it('per-request cache controls refuse them too', () => {
    const cache = new Cache();
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      expectConfigError(() => cache.resolveControl('completion', { [name]: 1 }), `cache.${name}`, /is not a cache control/);
    }
    expectConfigError(() => cache.resolveControl('completion', JSON.parse('{"__proto__": {"ttl": 0}}')), 'cache.__proto__');
  });
});

describe('values JSON cannot show', () => {
  it.each([
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
    [12.5, '12.5'],
    [10n, '10n'],
    ['x', '"x"'],
    [null, 'null'],
  ])('describeValue(%p) is %s', (value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });

  it.each([
    [{ ttl: Number.NaN }, 'ttl', /got NaN$/],
    [{ ttl: Number.POSITIVE_INFINITY }, 'ttl', /got Infinity$/],
    [{ maxSizeInMemory: Number.NEGATIVE_INFINITY }, 'maxSizeInMemory', /got -Infinity$/],
    [{ operationTimeoutMs: Number.NaN }, 'operationTimeoutMs', /got NaN$/],
  ])('%p names the value in its error', (options, option, message) => {
    expectConfigError(() => new Cache(options), option, message);
  });

  it('a request control of NaN is named as NaN', () => {
    expectConfigError(() => new Cache().resolveControl('completion', { ttl: Number.NaN }), 'cache.ttl', /got NaN$/);
  });
});

describe('timer limits', () => {
  it("MAX_TIMER_MS is Node's limit: a longer delay does not wait, it fires almost at once", async () => {
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
    const started = Date.now();
    // Node also prints a TimeoutOverflowWarning here: that is the behaviour being pinned.
    const fired = await new Promise<boolean>((resolve) => {
      const overflow = setTimeout(() => resolve(true), MAX_TIMER_MS + 1);
      const guard = setTimeout(() => {
        clearTimeout(overflow);
        resolve(false);
      }, 1000);
      guard.unref();
    });
    expect(fired).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it.each(['operationTimeoutMs', 'lockWaitMs'])('%s past MAX_TIMER_MS is a CacheConfigError naming it', (option) => {
    expectConfigError(() => new Cache({ [option]: 3e9 }), option, /at most 2147483647 ms/);
    expectConfigError(() => new Cache({ [option]: MAX_TIMER_MS + 1 }), option, /at most 2147483647 ms/);
    expect(() => new Cache({ [option]: MAX_TIMER_MS })).not.toThrow();
  });

  it('operationTimeoutMs of MAX_TIMER_MS really waits for a slow backend', async () => {
    const cache = new Cache({ backend: new DelayedBackend(20), operationTimeoutMs: MAX_TIMER_MS });
    const errors: Error[] = [];
    cache.on('error', (err) => errors.push(err));
    expect(await cache.set('k', 'v')).toBe(true);
    expect((await cache.get('k'))?.value).toBe('v');
    expect(errors).toEqual([]);
  });
});
