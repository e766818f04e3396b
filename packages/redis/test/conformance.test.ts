import { runBackendConformance, runDualEntryCheck } from '@llmcache/test-suite';
import { Cache, CacheConfigError, TieredBackend } from '@llmcache/core';
import { CoherentTieredBackend, RedisBackend } from '@llmcache/redis';
import { describeRedis, startStandalone, type RedisServer } from './servers';

const api = { describe, it, beforeAll, afterAll };
let server: RedisServer & { close(): Promise<void> };

beforeAll(async () => {
  server = await startStandalone();
});
afterAll(async () => {
  await server?.close();
});

runDualEntryCheck(api, '@llmcache/redis');

describeRedis('on a standalone Redis', () => {
  runBackendConformance(api, { name: 'redis (standalone)', create: () => new RedisBackend({ port: server.port }) });
  runBackendConformance(api, {
    name: 'tiered(memory+redis) (standalone)',
    create: () => new CoherentTieredBackend({ remote: new RedisBackend({ port: server.port }), memory: { maxSizePerItem: 16 * 1024 } }),
  });

  it("new Cache({ type: 'redis' }) puts a coherent memory tier in front; memoryTier: false leaves it out", async () => {
    const tiered = new Cache({ type: 'redis', port: server.port });
    expect(tiered.backend).toBeInstanceOf(CoherentTieredBackend);
    expect(tiered.backend).toBeInstanceOf(TieredBackend);
    const plain = new Cache({ type: 'redis', port: server.port, memoryTier: false });
    expect(plain.backend).toBeInstanceOf(RedisBackend);
    expect(await tiered.ping()).toBe(true);
    expect(await plain.ping()).toBe(true);
    await Promise.all([tiered.close(), plain.close()]);
  });

  it('sends a lone read as GET at once, and gathers concurrent reads into MGETs of at most 128 keys', async () => {
    const backend = new RedisBackend({ port: server.port, prefix: 'batch' });
    const calls = async (command: string) =>
      Number(
        /calls=(\d+)/.exec(
          await server.cli('info', 'commandstats').then((t) => t.split('\n').find((l) => l.startsWith(`cmdstat_${command}:`)) ?? 'calls=0'),
        )![1],
      );
    try {
      await backend.setMany(Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, ttlMs: 60_000 })));
      const [gets, mgets] = [await calls('get'), await calls('mget')];
      expect(await backend.get('k7')).toBe('v7');
      expect(await calls('get')).toBe(gets + 1);
      const keys = Array.from({ length: 200 }, (_, i) => `k${i}`); // half of them absent
      const values = await Promise.all(keys.map((k) => backend.get(k)));
      expect(values).toEqual(keys.map((_, i) => (i < 100 ? `v${i}` : undefined)));
      // The first went alone; the other 199 arrived while it was under way and shared two MGETs (128 + 71).
      expect(await calls('get')).toBe(gets + 2);
      expect(await calls('mget')).toBe(mgets + 2);
    } finally {
      await backend.close();
    }
  });

  it('rejects bad Redis options with a CacheConfigError naming the option', () => {
    expect(() => new Cache({ type: 'redis', memoryTier: 'no' as never })).toThrow(/memoryTier/);
    expect(() => new Cache({ type: 'redis', sentinels: [{ host: 'h', port: 0 }] })).toThrow(CacheConfigError);
    expect(() => new Cache({ type: 'redis', prefix: '' })).toThrow(/prefix/);
    expect(() => new RedisBackend({ url: 'http://127.0.0.1:1' })).toThrow(/url/);
  });
});
