import { Cache, CacheConfigError, cacheKey, semanticQuery, type CacheBackendError } from '@llmcache/core';
import { RedisSemanticBackend, type RedisSemanticBackendOptions } from '@llmcache/redis-semantic';
import { Redis } from 'ioredis';
import { describeRedis, startStandalone, type RedisServer } from '../../redis/test/servers';
import { CAPITAL, CAPITAL_PARAPHRASE, tableEmbedder, user, vectorSource } from './phrasings';

let server: RedisServer & { close(): Promise<void> };
let admin: Redis;
const opened: Cache[] = [];

beforeAll(async () => {
  server = await startStandalone();
  admin = new Redis({ port: server.port });
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});
afterAll(async () => {
  await admin?.quit();
  await server?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let indexes = 0;

/** A cache on its own index, with the table embedder unless options say otherwise. */
function open(options: RedisSemanticBackendOptions & { similarityThreshold?: number } = {}) {
  const embedder = tableEmbedder();
  const { similarityThreshold = 0.85, ...backendOptions } =
    'similarityThreshold' in options && options.similarityThreshold === undefined ? { ...options, similarityThreshold: undefined } : options;
  const n = ++indexes;
  // Each test has its own exact keys (prefix) and index, unless it shares them on purpose.
  const backend = new RedisSemanticBackend({ port: server.port, prefix: `test-${n}`, indexName: `index-${n}`, embedder, ...backendOptions });
  const cache = new Cache({ backend, ...(similarityThreshold === undefined ? {} : { similarityThreshold }) });
  const errors: CacheBackendError[] = [];
  cache.on('error', (err) => errors.push(err));
  opened.push(cache);
  return { cache, backend, embedder, errors };
}

interface Ask {
  model?: string;
  namespace?: string;
  params?: Record<string, unknown>;
  ttlMs?: number;
}

/** A chat call through Cache.wrap as the router makes it: exact key first, then the semantic query. */
async function ask(cache: Cache, content: unknown, { model = 'chat', namespace, params = {}, ttlMs }: Ask = {}) {
  const request = { messages: user(content), ...params };
  const key = cacheKey({ callType: 'completion', model, params: request, namespace });
  let computed = 0;
  const control = { ...cache.resolveControl('completion', namespace === undefined ? undefined : { namespace }), ...(ttlMs === undefined ? {} : { ttlMs }) };
  const result = await cache.wrap(key, async () => ({ answer: `computed #${++computed} for ${JSON.stringify(content)}` }), {
    control,
    semantic: () => semanticQuery({ callType: 'completion', model, params: request, namespace }),
  });
  return { ...result, key };
}

describeRedis('redis-semantic on a standalone Redis', () => {
  it('lets entries expire: no semantic match after the ttl, and a later write sweeps them out of the index', async () => {
    const { cache, backend } = open();
    const heads = `${backend.index.tag}:h`;
    await ask(cache, CAPITAL, { ttlMs: 300 });
    expect((await ask(cache, CAPITAL_PARAPHRASE, { params: { seed: 1 } })).source).toBe('computed'); // another scope: stored too
    expect(await admin.hlen(heads)).toBe(2);
    expect((await ask(cache, CAPITAL_PARAPHRASE)).source).toBe('cache');
    await sleep(400);
    expect((await ask(cache, CAPITAL_PARAPHRASE)).source).toBe('computed');
    // That miss was stored: its write swept the expired entry's head and record.
    expect(await admin.hlen(heads)).toBe(2);
    const records = await admin.keys(`${backend.index.tag}:r:*`);
    expect(records).toHaveLength(2);
    expect(await admin.zcard(`${backend.index.tag}:exp`)).toBe(2);
  });

  it('finds paraphrases once past its warm-up, through the LSH buckets', async () => {
    const source = vectorSource(64, 7);
    const stored = Array.from({ length: 300 }, () => source.random());
    const table = new Map(stored.map((v, i) => [`user: prompt ${i}`, v]));
    const queries = stored.slice(0, 40).map((v, i) => {
      const q = source.near(v, 0.97);
      table.set(`user: paraphrase ${i}`, q);
      return q;
    });
    const unrelated = Array.from({ length: 20 }, (_, i) => {
      const v = source.random();
      table.set(`user: unrelated ${i}`, v);
      return v;
    });
    const { cache, backend } = open({ embedder: async (texts) => texts.map((t) => [...table.get(t)!]), index: { warmUp: 32 } });
    for (let i = 0; i < stored.length; i++) await ask(cache, `prompt ${i}`);
    expect((await admin.hget(`${backend.index.tag}:meta`, 'ver'))?.endsWith(':frozen')).toBe(true);
    expect(await admin.llen(`${backend.index.tag}:warm`)).toBe(0);
    for (let i = 0; i < queries.length; i++) {
      const found = await ask(cache, `paraphrase ${i}`);
      expect(found.source).toBe('cache');
      expect(found.value).toEqual({ answer: `computed #1 for ${JSON.stringify(`prompt ${i}`)}` });
      expect(found.similarity).toBeCloseTo(0.97, 5);
    }
    for (let i = 0; i < unrelated.length; i++) expect((await ask(cache, `unrelated ${i}`)).source).toBe('computed');
    expect(unrelated.length + queries.length).toBe(60);
  });

  it('turns an embedder failure or a vector of another length into a reported miss, never a failed call', async () => {
    let answer: unknown = [[1, 0, 0, 0]];
    const { cache, errors } = open({ prefix: 'dims', indexName: 'dims', embedder: async () => answer as number[][] });
    expect((await ask(cache, 'one')).source).toBe('computed');
    answer = [[1, 0, 0]];
    expect((await ask(cache, 'two')).source).toBe('computed');
    expect(errors.at(-1)?.message).toMatch(/the embedder answered a vector of 3 dimensions after 4/);
    // Another process (its own embedder) on the same index with another model: the index says no.
    const other = open({ prefix: 'dims', indexName: 'dims', embedder: async () => [[1, 0, 0]] });
    expect((await ask(other.cache, 'three')).source).toBe('computed');
    expect(other.errors[0]?.message).toMatch(/holds 4-dimension vectors and the embedder answered 3: give another embedding model its own index name/);
    answer = [['x', 0, 0, 0]];
    expect((await ask(cache, 'four')).source).toBe('computed');
    expect(errors.at(-1)?.message).toMatch(/embedder answered a vector holding x/);
    const failing = open({ embedder: async () => Promise.reject(new Error('embedding service down')) });
    expect((await ask(failing.cache, CAPITAL)).source).toBe('computed');
    expect(failing.errors[0]).toMatchObject({ operation: 'findSimilar', message: expect.stringMatching(/embedding service down/) });
    // The exact entry was stored all the same.
    expect((await ask(failing.cache, CAPITAL)).source).toBe('cache');
  });

  it('without an embedder answers by exact key only', async () => {
    const { cache } = open({ embedder: undefined });
    await ask(cache, CAPITAL);
    expect((await ask(cache, CAPITAL)).source).toBe('cache');
    expect((await ask(cache, CAPITAL_PARAPHRASE)).source).toBe('computed');
  });

  it("is what new Cache({ type: 'redis-semantic' | 'valkey-semantic' }) makes, and checks its options", async () => {
    for (const type of ['redis-semantic', 'valkey-semantic'] as const) {
      const cache = new Cache({
        type,
        port: server.port,
        similarityThreshold: 0.9,
        redisSemanticCacheIndexName: 'typed',
        redisSemanticCacheEmbeddingModel: 'embed',
      });
      opened.push(cache);
      expect(cache.backend).toBeInstanceOf(RedisSemanticBackend);
      expect((cache.backend as RedisSemanticBackend).embeddingModel).toBe('embed');
      expect((cache.backend as RedisSemanticBackend).index.tag).toBe('{llmcache:typed}');
      expect(await cache.ping()).toBe(true);
    }
    const withEmbedder = new Cache({ type: 'redis-semantic', port: server.port, similarityThreshold: 0.9, embedder: tableEmbedder().embed });
    opened.push(withEmbedder);
    expect((withEmbedder.backend as RedisSemanticBackend).embeddingModel).toBeUndefined();
    expect(() => new Cache({ type: 'redis-semantic', port: server.port })).toThrow(/similarityThreshold: is required/);
    // An instance without a threshold answers by exact key only.
    const exactOnly = open({ similarityThreshold: undefined as never });
    const plain = new Cache({ backend: exactOnly.backend });
    await ask(plain, CAPITAL);
    expect((await ask(plain, CAPITAL)).source).toBe('cache');
    expect((await ask(plain, CAPITAL_PARAPHRASE)).source).toBe('computed');
    expect(exactOnly.embedder.calls).toEqual([]);
    expect(() => new Cache({ type: 'valkey-semantic', similarityThreshold: 2 })).toThrow(CacheConfigError);
    expect(() => new RedisSemanticBackend({ index: { bits: 31 } })).toThrow(/index\.bits/);
    expect(() => new RedisSemanticBackend({ index: { probes: -1 } })).toThrow(/index\.probes/);
    expect(() => new RedisSemanticBackend({ indexName: '' })).toThrow(/indexName/);
    expect(() => new RedisSemanticBackend({ embedder: 'nope' as never })).toThrow(/embedder/);
  });
});
