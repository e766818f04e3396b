import { runBackendConformance } from '@llmcache/test-suite';
import { Cache } from '@llmcache/core';
import { RedisBackend } from '@llmcache/redis';
import { describeRedis, startSentinel, type RedisSentinelSet } from './servers';

const api = { describe, it, beforeAll, afterAll };
let set: RedisSentinelSet;

beforeAll(async () => {
  set = await startSentinel();
}, 60_000);
afterAll(async () => {
  await set?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeRedis('behind Redis Sentinel', () => {
  runBackendConformance(api, {
    name: 'redis (sentinel)',
    create: () => new RedisBackend({ sentinels: set.sentinels, serviceName: set.serviceName }),
  });

  it('writes and hits resume within 5 seconds of SENTINEL FAILOVER', async () => {
    // No memory tier: every hit below is a read from Redis.
    const cache = new Cache({ type: 'redis', sentinels: set.sentinels, serviceName: set.serviceName, prefix: 'failover', memoryTier: false });
    cache.on('error', () => undefined);
    try {
      expect(await cache.set('before', 'x')).toBe(true);
      const oldMaster = await set.masterPort();
      const newMaster = await set.failover();
      expect(newMaster).not.toBe(oldMaster);
      const switched = Date.now();
      const server = newMaster === set.master.port ? set.master : set.replica;
      let resumedAfter: number | undefined;
      for (let i = 0; Date.now() - switched < 10_000; i++) {
        const wrote = await cache.set(`after-${i}`, i);
        const hit = wrote ? await cache.get(`after-${i}`) : undefined;
        // Resumed: written to the new master (not lost on the demoted one) and read back.
        if (hit?.value === i && (await server.cli('exists', `failover:after-${i}`)) === '1') {
          resumedAfter = Date.now() - switched;
          break;
        }
        await sleep(50);
      }
      expect(resumedAfter).toBeDefined();
      expect(resumedAfter!).toBeLessThan(5000);
      expect(await server.cli('role')).toMatch(/^master/);
    } finally {
      await cache.close();
    }
  }, 60_000);
});
