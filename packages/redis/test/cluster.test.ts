import { runBackendConformance } from '@llmcache/test-suite';
import { Cache } from '@llmcache/core';
import { CoherentTieredBackend, RedisBackend, RedisRouterState } from '@llmcache/redis';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { describeRedis, startCluster, type RedisCluster } from './servers';

const api = { describe, it, beforeAll, afterAll };
let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeRedis('on a 3-master Redis Cluster', () => {
  runBackendConformance(api, { name: 'redis (cluster)', create: () => new RedisBackend({ redisStartupNodes: cluster.startupNodes }) });
  runBackendConformance(api, {
    name: 'tiered(memory+redis) (cluster)',
    create: () => new CoherentTieredBackend({ remote: new RedisBackend({ redisStartupNodes: cluster.startupNodes }), memory: { maxSizePerItem: 16 * 1024 } }),
  });

  it('spreads a batch over slots on every master rather than forcing one slot, and reads it back in order', async () => {
    const backend = new RedisBackend({ redisStartupNodes: cluster.startupNodes, prefix: 'spread' });
    try {
      // Our own timer bounds a read, redirections and retries included.
      expect(backend.readTimeoutMs).toBe(1000);
      const theirs = new Cluster(cluster.startupNodes, { redisOptions: { commandTimeout: 300 }, lazyConnect: true });
      // A cluster passed in that times its own commands may take longer than that: Cache keeps its own timer.
      expect(new RedisBackend({ client: theirs }).readTimeoutMs).toBeUndefined();
      theirs.disconnect();
      const keys = Array.from({ length: 60 }, (_, i) => `ns:key-${i}`);
      await backend.setMany(keys.map((key, i) => ({ key, value: `v${i}`, ttlMs: 60_000 })));
      expect(new Set(keys.map((k) => calculateSlot(backend.redisKey(k)))).size).toBeGreaterThan(30);
      const perNode = await Promise.all(cluster.nodes.map(async (n) => Number(await n.cli('dbsize'))));
      expect(perNode.every((count) => count > 0)).toBe(true);
      expect(await backend.getMany([...keys, 'ns:absent'])).toEqual([...keys.map((_, i) => `v${i}`), undefined]);
      expect(await backend.clear('ns')).toBe(60);
      expect((await backend.getMany(keys)).every((v) => v === undefined)).toBe(true);
    } finally {
      await backend.close();
    }
  });

  it('keeps two memory tiers coherent through the cluster (delete and overwrite)', async () => {
    const open = () => new Cache({ type: 'redis', redisStartupNodes: cluster.startupNodes, prefix: 'coherent' });
    const [a, b] = [open(), open()];
    try {
      await sleep(300); // both subscriptions up
      await a.set('k', 'v1');
      expect((await b.get('k'))?.value).toBe('v1'); // now in b's memory tier
      await a.set('k', 'v2');
      await sleep(100);
      expect((await b.get('k'))?.value).toBe('v2');
      await a.delete('k');
      await sleep(100);
      expect(await b.get('k')).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('shares routing state on a cluster', async () => {
    const options = { redisStartupNodes: cluster.startupNodes, prefix: 'state' };
    const [a, b] = [new RedisRouterState(options), new RedisRouterState(options)];
    try {
      await a.startCooldown('d1', Date.now() + 5000);
      await a.addUsage('d1', 1, { requests: 2, tokens: 10 });
      await b.addUsage('d1', 1, { requests: 1, tokens: 5 });
      expect([...(await b.coolingDown(['d1', 'd2'], Date.now()))]).toEqual(['d1']);
      expect((await b.usage(['d1'], 1)).get('d1')).toEqual({ requests: 3, tokens: 15 });
      expect(await a.recordFailure('d1', Date.now(), 60_000)).toBe(1);
      expect(await b.recordFailure('d1', Date.now(), 60_000)).toBe(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
