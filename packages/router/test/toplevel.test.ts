import { Cache } from '@llmcache/core';
import { BadRequestError, completion, disableCache, embedding, enableCache, getCache, Router, setCache } from '@llmcache/router';
import { ask, useUpstream } from './helpers';

const upstream = useUpstream();

describe('top-level functions and the global cache', () => {
  afterEach(() => disableCache());

  it('completion() calls provider/model with apiBase on the request, and caches through setCache()', async () => {
    const request = { model: 'openai/gpt-4o-mini', messages: ask('top level'), apiBase: upstream().openaiBase, apiKey: 'sk-x' };
    const noCache = await completion(request);
    expect(noCache._hiddenParams.cacheHit).toBe(false);
    setCache(new Cache());
    await completion(request);
    const hit = await completion(request);
    expect(hit._hiddenParams.cacheHit).toBe(true);
    expect(hit.choices[0]!.message.content).toBe('Reply to "top level" from gpt-4o-mini');
    expect(upstream().callCount()).toBe(2);
    expect(upstream().calls[0]!.headers.authorization).toBe('Bearer sk-x');
    disableCache();
    expect(getCache()).toBeUndefined();
    expect((await completion(request))._hiddenParams.cacheHit).toBe(false);
  });

  it('enableCache() builds a cache from options', async () => {
    const cache = enableCache({ ttl: 60, namespace: 'top' });
    expect(getCache()).toBe(cache);
    expect(cache.ttlMs).toBe(60_000);
    const res = await embedding({ model: 'openai/text-embedding-3-small', input: ['a'], apiBase: upstream().openaiBase });
    expect(res._hiddenParams.cacheKey).toMatch(/^top:/);
  });

  it('a Router and the top-level completion() share the global cache when the model identity matches', async () => {
    setCache(new Cache());
    const router = new Router({ modelList: [{ modelName: 'openai/gpt-4o-mini', params: { model: 'openai/gpt-4o-mini', apiBase: upstream().openaiBase } }] });
    await router.completion({ model: 'openai/gpt-4o-mini', messages: ask('shared global') });
    const res = await completion({ model: 'openai/gpt-4o-mini', messages: ask('shared global'), apiBase: upstream().openaiBase });
    expect(res._hiddenParams.cacheHit).toBe(true);
  });
});

describe('top-level calls', () => {
  it('reject (never throw synchronously) with a BadRequestError naming the field', async () => {
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = completion({ model: 'mystery-model', messages: ask('x') });
    }).not.toThrow();
    const err = await pending!.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/model: cannot tell the provider/);
  });
});
