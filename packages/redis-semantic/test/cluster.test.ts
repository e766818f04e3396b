import { runBackendConformance } from '@llmcache/test-suite';
import { Cache, cacheKey, semanticQuery } from '@llmcache/core';
import { RedisSemanticBackend } from '@llmcache/redis-semantic';
import { describeRedis, startCluster, type RedisCluster } from '../../redis/test/servers';
import { tableEmbedder, vectorSource } from './phrasings';

const api = { describe, it, beforeAll, afterAll };
let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

describeRedis('redis-semantic on a 3-master Redis Cluster', () => {
  runBackendConformance(api, {
    name: 'redis-semantic (cluster)',
    create: () => new RedisSemanticBackend({ redisStartupNodes: cluster.startupNodes, embedder: tableEmbedder() }),
  });

  it('indexes, freezes and searches with every index key in one slot, and the entries spread over the masters', async () => {
    const source = vectorSource(48, 11);
    const table = new Map<string, Float64Array>();
    const stored = Array.from({ length: 120 }, (_, i) => {
      const v = source.random();
      table.set(`user: prompt ${i}`, v);
      table.set(`user: paraphrase ${i}`, source.near(v, 0.97));
      return v;
    });
    const backend = new RedisSemanticBackend({
      redisStartupNodes: cluster.startupNodes,
      prefix: 'cluster-semantic',
      embedder: async (texts) => texts.map((t) => [...table.get(t)!]),
      index: { warmUp: 24 },
    });
    const cache = new Cache({ backend, similarityThreshold: 0.9 });
    const errors: Error[] = [];
    cache.on('error', (err) => errors.push(err));
    const ask = (content: string) => {
      const params = { messages: [{ role: 'user', content }] };
      const key = cacheKey({ callType: 'completion', model: 'chat', params });
      return cache.wrap(key, async () => `answer to ${content}`, {
        control: cache.resolveControl('completion'),
        semantic: () => semanticQuery({ callType: 'completion', model: 'chat', params }),
      });
    };
    try {
      for (let i = 0; i < stored.length; i++) expect((await ask(`prompt ${i}`)).source).toBe('computed');
      for (let i = 0; i < stored.length; i += 3) {
        const found = await ask(`paraphrase ${i}`);
        expect(found).toMatchObject({ source: 'cache', value: `answer to prompt ${i}` });
      }
      expect(errors).toEqual([]);
      const perNode = await Promise.all(cluster.nodes.map(async (n) => Number(await n.cli('dbsize'))));
      expect(perNode.filter((count) => count > 0).length).toBe(3); // exact entries on every master
      const indexKeys = await Promise.all(cluster.nodes.map((n) => n.cli('--scan', '--pattern', '{cluster-semantic:*')));
      expect(indexKeys.filter((keys) => keys !== '').length).toBe(1); // the whole index on one
    } finally {
      await cache.close();
    }
  });
});
