import { Cache, CacheConfigError, CacheMode, cacheKey, MemoryBackend, type CacheControl } from '@llmcache/core';

const request = { messages: [{ role: 'user', content: 'hi' }] };

let computed = 0;

/** Runs one completion-like call through `wrap` and says whether it was served from the cache. */
async function call(cache: Cache, control?: CacheControl, callType = 'completion'): Promise<{ cached: boolean; answer: string }> {
  const resolved = cache.resolveControl(callType, control);
  const key = cacheKey({ callType, model: 'm', params: request, namespace: resolved.namespace });
  const result = await cache.wrap(key, async () => `answer-${++computed}`, { control: resolved });
  return { cached: result.source === 'cache', answer: result.value };
}

describe('per-request cache control', () => {
  afterEach(() => jest.useRealTimers());

  it('ttl: the entry lives exactly that many seconds', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const cache = new Cache({ ttl: 3600 });
    await call(cache, { ttl: 10 });
    jest.setSystemTime(1_000_000 + 9_999);
    expect((await call(cache)).cached).toBe(true);
    jest.setSystemTime(1_000_000 + 10_000);
    expect((await call(cache)).cached).toBe(false);
  });

  it('ttl omitted: the cache default applies; ttl: null on the cache never expires', async () => {
    jest.useFakeTimers({ now: 0 });
    const defaulted = new Cache();
    const forever = new Cache({ ttl: null });
    await call(defaulted);
    await call(forever);
    jest.setSystemTime(600_000 - 1);
    expect((await call(defaulted)).cached).toBe(true);
    jest.setSystemTime(600_000);
    expect((await call(defaulted)).cached).toBe(false);
    jest.setSystemTime(10 * 365 * 24 * 3600_000);
    expect((await call(forever)).cached).toBe(true);
  });

  it('ttl: 0 means do not store', async () => {
    const cache = new Cache();
    await call(cache, { ttl: 0 });
    expect((await call(cache)).cached).toBe(false);
    expect(cache.stats().writes).toBe(1); // only the second call stored
  });

  it('s-maxage: serves only entries younger than it, measured in ms', async () => {
    jest.useFakeTimers({ now: 5_000 });
    const cache = new Cache({ ttl: 3600 });
    const first = await call(cache);
    jest.setSystemTime(5_000 + 1_999);
    expect(await call(cache, { 's-maxage': 2 })).toEqual({ cached: true, answer: first.answer });
    jest.setSystemTime(5_000 + 2_000);
    expect((await call(cache, { 's-maxage': 2 })).cached).toBe(false);
    // The entry itself is still there for callers without s-maxage... but the too-old call stored a fresh one.
    expect((await call(cache, { 's-maxage': 1 })).cached).toBe(true);
  });

  it('no-cache: skips the lookup but stores the fresh answer', async () => {
    const cache = new Cache();
    const first = await call(cache);
    const fresh = await call(cache, { 'no-cache': true });
    expect(fresh.cached).toBe(false);
    expect(fresh.answer).not.toBe(first.answer);
    expect(await call(cache)).toEqual({ cached: true, answer: fresh.answer });
  });

  it('no-store: answers from the cache but never writes', async () => {
    const cache = new Cache();
    await call(cache, { 'no-store': true });
    expect((await call(cache, { 'no-store': true })).cached).toBe(false);
    const stored = await call(cache);
    expect(await call(cache, { 'no-store': true })).toEqual({ cached: true, answer: stored.answer });
  });

  it('namespace: overrides the cache namespace; namespaces never see each other', async () => {
    const cache = new Cache({ namespace: 'base' });
    await call(cache, { namespace: 'tenant-a' });
    expect((await call(cache, { namespace: 'tenant-b' })).cached).toBe(false);
    expect((await call(cache)).cached).toBe(false);
    expect((await call(cache, { namespace: 'tenant-a' })).cached).toBe(true);
    expect(cache.resolveControl('completion').namespace).toBe('base');
  });

  it('mode default_off: only use-cache: true reads or writes', async () => {
    const cache = new Cache({ mode: CacheMode.default_off });
    await call(cache);
    expect((await call(cache, { 'use-cache': true })).cached).toBe(false);
    expect((await call(cache, { 'use-cache': true })).cached).toBe(true);
    expect((await call(cache)).cached).toBe(false);
  });

  it('mode default_on: use-cache: false opts a call out', async () => {
    const cache = new Cache();
    await call(cache);
    expect((await call(cache, { 'use-cache': false })).cached).toBe(false);
  });

  it('supportedCallTypes: other call types bypass the cache; a* aliases count', async () => {
    const cache = new Cache({ supportedCallTypes: ['aembedding'] });
    await call(cache, undefined, 'completion');
    expect((await call(cache, undefined, 'completion')).cached).toBe(false);
    await call(cache, undefined, 'embedding');
    expect((await call(cache, undefined, 'embedding')).cached).toBe(true);
    expect(new Cache().resolveControl('atranscription').read).toBe(true);
  });

  it.each([
    [{ ttl: -1 }, 'cache.ttl'],
    [{ ttl: '60' }, 'cache.ttl'],
    [{ 's-maxage': Number.NaN }, 'cache.s-maxage'],
    [{ 'no-cache': 'yes' }, 'cache.no-cache'],
    [{ namespace: '' }, 'cache.namespace'],
    [{ 'max-age': 5 }, 'cache.max-age'],
  ])('rejects %j with a CacheConfigError naming %s', (control, option) => {
    const cache = new Cache({ backend: new MemoryBackend() });
    const attempt = () => cache.resolveControl('completion', control as CacheControl);
    expect(attempt).toThrow(CacheConfigError);
    try {
      attempt();
    } catch (err) {
      expect((err as CacheConfigError).option).toBe(option);
      expect((err as Error).message).toContain(option);
    }
  });
});
