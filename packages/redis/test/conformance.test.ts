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

  it('rejects bad Redis options with a CacheConfigError naming the option', () => {
    expect(() => new Cache({ type: 'redis', memoryTier: 'no' as never })).toThrow(/memoryTier/);
    expect(() => new Cache({ type: 'redis', sentinels: [{ host: 'h', port: 0 }] })).toThrow(CacheConfigError);
    expect(() => new Cache({ type: 'redis', prefix: '' })).toThrow(/prefix/);
    expect(() => new RedisBackend({ url: 'http://127.0.0.1:1' })).toThrow(/url/);
  });
});
