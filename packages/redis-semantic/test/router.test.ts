import { Cache } from '@llmcache/core';
import { completion, disableCache, Router, setCache } from '@llmcache/router';
import { withEnv } from '@llmcache/test-suite';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { describeRedis, startStandalone, type RedisServer } from '../../redis/test/servers';
import { CAPITAL, CAPITAL_PARAPHRASE, EVEREST, VECTORS } from './phrasings';

let server: RedisServer & { close(): Promise<void> };
let upstream: Upstream;
const routers: Router[] = [];

beforeAll(async () => {
  [server, upstream] = await Promise.all([startStandalone(), startUpstream()]);
});
beforeEach(() => {
  upstream.setEmbedding('text-embedding-3-small', (text) => VECTORS[text]);
});
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
  upstream.reset();
});
afterAll(async () => {
  await upstream?.close();
  await server?.close();
});

let indexes = 0;
const EMBEDDING = '/v1/embeddings';
const CHAT = '/v1/chat/completions';

function semanticCache(options: Record<string, unknown> = {}): Cache {
  const n = ++indexes;
  return new Cache({
    type: 'redis-semantic',
    port: server.port,
    prefix: `router-${n}`,
    similarityThreshold: 0.85,
    redisSemanticCacheEmbeddingModel: 'embed',
    redisSemanticCacheIndexName: `router-index-${n}`,
    ...options,
  });
}

function router(cache: Cache | undefined, extra: Record<string, unknown> = {}): Router {
  const made = new Router({
    modelList: [
      { modelName: 'chat', params: { model: 'openai/gpt-4o', apiBase: upstream.openaiBase, apiKey: 'sk-test' } },
      { modelName: 'chat-mini', params: { model: 'openai/gpt-4o-mini', apiBase: upstream.openaiBase, apiKey: 'sk-test' } },
      { modelName: 'embed', params: { model: 'openai/text-embedding-3-small', apiBase: upstream.openaiBase, apiKey: 'sk-test' } },
    ],
    ...(cache ? { cache } : {}),
    ...extra,
  });
  routers.push(made);
  return made;
}

const user = (content: string) => [{ role: 'user' as const, content }];
const calls = () => ({ chat: upstream.callCount({ path: CHAT }), embedding: upstream.callCount({ path: EMBEDDING }) });
const ask = (r: Router, content: string, extra: Record<string, unknown> = {}) => r.completion({ model: 'chat', messages: user(content), ...extra });

describeRedis('a semantic cache under router.completion(), embedding through the same router', () => {
  it('serves a paraphrase from the cache; an exact hit makes no embedding call at all', async () => {
    const r = router(semanticCache());
    const first = await ask(r, CAPITAL);
    expect(first._hiddenParams.cacheHit).toBe(false);
    expect(calls()).toEqual({ chat: 1, embedding: 1 }); // one embedding serves the lookup and the write

    const exact = await ask(r, CAPITAL);
    expect(exact._hiddenParams.cacheHit).toBe(true);
    expect(exact._hiddenParams.semanticSimilarity).toBeUndefined();
    expect(calls()).toEqual({ chat: 1, embedding: 1 });

    const paraphrase = await ask(r, CAPITAL_PARAPHRASE);
    expect(paraphrase._hiddenParams).toMatchObject({ cacheHit: true, modelGroup: 'chat' });
    expect(paraphrase._hiddenParams.semanticSimilarity).toBeCloseTo(0.9, 6);
    expect(paraphrase.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(calls()).toEqual({ chat: 1, embedding: 2 });
    expect(JSON.stringify(paraphrase)).not.toContain('semanticSimilarity');

    const unrelated = await ask(r, EVEREST);
    expect(unrelated._hiddenParams.cacheHit).toBe(false);
    expect(calls()).toEqual({ chat: 2, embedding: 3 });
    // The embeddings went to the embedding group's deployment, as the router's own calls.
    expect(upstream.calls.filter((c) => c.path === EMBEDDING).map((c) => c.body.model)).toEqual(Array(3).fill('text-embedding-3-small'));
  });

  it('routes the embedding calls like any call: retried on a 500, and cached (a prompt is embedded once)', async () => {
    const r = router(semanticCache());
    await ask(r, CAPITAL);
    upstream.script('text-embedding-3-small', { status: 500, message: 'embedding deployment hiccup' });
    const paraphrase = await ask(r, CAPITAL_PARAPHRASE);
    expect(paraphrase._hiddenParams.cacheHit).toBe(true);
    expect(calls()).toEqual({ chat: 1, embedding: 3 }); // the failed attempt and its retry
    // Another scope (temperature) misses, but the prompt's embedding is an exact hit of the embedding cache.
    const other = await ask(r, CAPITAL_PARAPHRASE, { temperature: 0.2 });
    expect(other._hiddenParams.cacheHit).toBe(false);
    expect(calls()).toEqual({ chat: 2, embedding: 3 });
  });

  it('keeps model groups apart unless they share a caching group, and namespaces apart always', async () => {
    const apart = router(semanticCache());
    await ask(apart, CAPITAL);
    const mini = await apart.completion({ model: 'chat-mini', messages: user(CAPITAL_PARAPHRASE) });
    expect(mini._hiddenParams.cacheHit).toBe(false);
    expect((await ask(apart, CAPITAL_PARAPHRASE, { cache: { namespace: 'other-team' } }))._hiddenParams.cacheHit).toBe(false);

    const shared = router(semanticCache(), { cachingGroups: [['chat', 'chat-mini']] });
    await ask(shared, CAPITAL);
    const sharedMini = await shared.completion({ model: 'chat-mini', messages: user(CAPITAL_PARAPHRASE) });
    expect(sharedMini._hiddenParams.cacheHit).toBe(true);
    expect(sharedMini._hiddenParams.semanticSimilarity).toBeCloseTo(0.9, 6);
  });

  it('replays a semantic hit as a stream, and stores a streamed miss for later paraphrases', async () => {
    const r = router(semanticCache());
    const streamed = await r.completion({ model: 'chat', messages: user(CAPITAL), stream: true });
    let text = '';
    for await (const chunk of streamed) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(`Reply to "${CAPITAL}" from gpt-4o`);
    const hit = await r.completion({ model: 'chat', messages: user(CAPITAL_PARAPHRASE), stream: true });
    expect(hit._hiddenParams).toMatchObject({ cacheHit: true });
    let replayed = '';
    for await (const chunk of hit) replayed += chunk.choices[0]?.delta.content ?? '';
    expect(replayed).toBe(text);
    expect(calls().chat).toBe(1);
  });

  it('embeds with a provider/model through the top-level path when the router has no such group', async () => {
    await withEnv({ OPENAI_API_BASE: upstream.openaiBase, OPENAI_API_KEY: 'sk-env' }, async () => {
      const r = router(semanticCache({ redisSemanticCacheEmbeddingModel: 'openai/text-embedding-3-small' }));
      await ask(r, CAPITAL);
      expect((await ask(r, CAPITAL_PARAPHRASE))._hiddenParams.cacheHit).toBe(true);
      expect(calls()).toEqual({ chat: 1, embedding: 2 });
      expect(upstream.calls.filter((c) => c.path === EMBEDDING).every((c) => c.headers.authorization === 'Bearer sk-env')).toBe(true);
    });
  });

  it('serves top-level completion() from a global semantic cache (setCache), embedding through top-level embedding()', async () => {
    const cache = semanticCache({ redisSemanticCacheEmbeddingModel: 'openai/text-embedding-3-small' });
    setCache(cache);
    try {
      await withEnv({ OPENAI_API_BASE: upstream.openaiBase, OPENAI_API_KEY: 'sk-env' }, async () => {
        const call = (content: string) => completion({ model: 'openai/gpt-4o', messages: user(content), apiBase: upstream.openaiBase });
        await call(CAPITAL);
        const hit = await call(CAPITAL_PARAPHRASE);
        expect(hit._hiddenParams.cacheHit).toBe(true);
        expect(hit._hiddenParams.semanticSimilarity).toBeCloseTo(0.9, 6);
        expect(calls()).toEqual({ chat: 1, embedding: 2 });
      });
    } finally {
      disableCache();
      await cache.close();
    }
  });

  it('leaves an embedder of the cache’s own alone (a plain function)', async () => {
    const seen: string[] = [];
    const cache = semanticCache({
      redisSemanticCacheEmbeddingModel: undefined,
      embedder: async (texts: readonly string[]) => texts.map((t) => (seen.push(t), VECTORS[t]!)),
    });
    const r = router(cache);
    await ask(r, CAPITAL);
    expect((await ask(r, CAPITAL_PARAPHRASE))._hiddenParams.cacheHit).toBe(true);
    expect(seen).toEqual([`user: ${CAPITAL}`, `user: ${CAPITAL_PARAPHRASE}`]);
    expect(calls().embedding).toBe(0);
  });

  it("loads LiteLLM's cache_params unchanged through Router.fromConfig", async () => {
    const n = ++indexes;
    const r = Router.fromConfig({
      model_list: [
        { model_name: 'chat', litellm_params: { model: 'openai/gpt-4o', api_base: upstream.openaiBase, api_key: 'sk-test' } },
        { model_name: 'embed', litellm_params: { model: 'openai/text-embedding-3-small', api_base: upstream.openaiBase, api_key: 'sk-test' } },
      ],
      litellm_settings: {
        cache: true,
        cache_params: {
          type: 'redis-semantic',
          host: '127.0.0.1',
          port: server.port,
          similarity_threshold: 0.8,
          redis_semantic_cache_embedding_model: 'embed',
          redis_semantic_cache_index_name: `config-index-${n}`,
        },
      },
    });
    routers.push(r);
    expect(r.cache?.similarityThreshold).toBe(0.8);
    await ask(r, CAPITAL);
    const hit = await ask(r, CAPITAL_PARAPHRASE);
    expect(hit._hiddenParams.cacheHit).toBe(true);
    expect(hit._hiddenParams.semanticSimilarity).toBeCloseTo(0.9, 6);
  });
});
