import { Cache } from '@llmcache/core';
import { Router } from '@llmcache/router';
import { deployment, useUpstream } from './helpers';

const upstream = useUpstream();

const router = () => new Router({ modelList: [deployment(upstream(), 'emb', 'text-embedding-3-small')], cache: new Cache() });

describe('embeddings', () => {
  it('caches each input on its own; a partial hit sends only the missing inputs, in one call, and keeps order', async () => {
    const r = router();
    const first = await r.embedding({ model: 'emb', input: ['alpha', 'beta'] });
    expect(first._hiddenParams.cacheHit).toBe(false);
    const mixed = await r.embedding({ model: 'emb', input: ['gamma', 'alpha', 'delta', 'beta'] });
    expect(upstream().calls.map((c) => c.body.input)).toEqual([
      ['alpha', 'beta'],
      ['gamma', 'delta'],
    ]);
    expect(mixed._hiddenParams.cacheHit).toBe(false);
    expect(mixed.data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    expect(mixed.data[1]!.embedding).toEqual(first.data[0]!.embedding);
    expect(mixed.data[3]!.embedding).toEqual(first.data[1]!.embedding);
    // Each vector is the one the upstream gives for that text.
    const direct = await r.embedding({ model: 'emb', input: 'delta', cache: { 'no-cache': true } });
    expect(mixed.data[2]!.embedding).toEqual(direct.data[0]!.embedding);
    expect(mixed.usage.prompt_tokens).toBe(2); // only gamma and delta went upstream
    const all = await r.embedding({ model: 'emb', input: ['beta', 'gamma'] });
    expect(all._hiddenParams.cacheHit).toBe(true);
    expect(all.usage.prompt_tokens).toBe(0);
    expect(upstream().callCount()).toBe(3);
  });

  it('a single string input is cached and answered as a list of one', async () => {
    const r = router();
    await r.embedding({ model: 'emb', input: 'solo' });
    const hit = await r.embedding({ model: 'emb', input: 'solo' });
    expect(hit._hiddenParams.cacheHit).toBe(true);
    expect(hit._hiddenParams.cacheKey).toBe(r.cacheKey({ model: 'emb', input: 'solo' }));
    expect(hit.object).toBe('list');
    expect(hit.data).toHaveLength(1);
    expect(upstream().calls[0]!.body.input).toBe('solo');
  });

  it('params such as dimensions are part of each key', async () => {
    const r = router();
    await r.embedding({ model: 'emb', input: ['x'], dimensions: 4 });
    const other = await r.embedding({ model: 'emb', input: ['x'], dimensions: 8 });
    expect(other._hiddenParams.cacheHit).toBe(false);
  });
});
