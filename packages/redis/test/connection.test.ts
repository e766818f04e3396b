import { Cache, CacheConfigError, type LockRelease } from '@llmcache/core';
import { CoherentTieredBackend, InvalidationBus, RedisBackend, RedisLock, connectionFromEnv, parseNodes } from '@llmcache/redis';
import { withEnv } from '@llmcache/test-suite';
import { Redis } from 'ioredis';
import { describeRedis, startStandalone, type RedisServer } from './servers';

let server: RedisServer & { close(): Promise<void> };

beforeAll(async () => {
  server = await startStandalone();
});
afterAll(async () => {
  await server?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('reading the environment as LiteLLM does', () => {
  it('maps REDIS_* variables, with JSON or host:port node lists', () => {
    expect(
      connectionFromEnv({
        REDIS_URL: 'rediss://u:p@h:1',
        REDIS_HOST: 'h',
        REDIS_PORT: '7000',
        REDIS_PASSWORD: 'pw',
        REDIS_USERNAME: 'user',
        REDIS_SSL: 'True',
        REDIS_CLUSTER_NODES: '[{"host":"a","port":7001},{"host":"b","port":"7002"}]',
        REDIS_SENTINEL_NODES: '[["s", 26379]]',
        REDIS_SERVICE_NAME: 'mymaster',
      }),
    ).toEqual({
      url: 'rediss://u:p@h:1',
      host: 'h',
      port: '7000',
      password: 'pw',
      username: 'user',
      ssl: true,
      redisStartupNodes: [
        { host: 'a', port: 7001 },
        { host: 'b', port: 7002 },
      ],
      sentinels: [{ host: 's', port: 26379 }],
      serviceName: 'mymaster',
    });
    expect(parseNodes('REDIS_CLUSTER_NODES', 'a:1, b:2')).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
    expect(() => parseNodes('REDIS_CLUSTER_NODES', 'a:x')).toThrow(CacheConfigError);
    expect(() => parseNodes('REDIS_SENTINEL_NODES', '[oops')).toThrow(/REDIS_SENTINEL_NODES/);
  });
});

describe('read bounds', () => {
  it('a read is bounded by the command timeout, the wait for a first connection included', async () => {
    const backend = new RedisBackend({ port: server.port, commandTimeoutMs: 300 });
    try {
      expect(backend.readTimeoutMs).toBe(300);
      expect(await backend.get('anything')).toBeUndefined();
      // On a paused server the read fails at the timeout, not later.
      await server.cli('client', 'pause', '800');
      const started = Date.now();
      await expect(backend.get('anything')).rejects.toThrow(/no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(300 + 200);
    } finally {
      await sleep(900);
      await backend.close();
    }
  });

  it('a client passed in with its own command timeout: as long again for a first connection, then its timeout', async () => {
    const client = new Redis({ port: server.port, commandTimeout: 250, lazyConnect: true });
    const backend = new RedisBackend({ client });
    try {
      expect(backend.readTimeoutMs).toBe(500);
      await backend.get('anything');
      expect(backend.readTimeoutMs).toBe(250);
    } finally {
      client.disconnect();
    }
  });
});

describe('the client option', () => {
  // The public type is only the shape of an ioredis client (so it needs no @types/node): a look-alike compiles and must be refused.
  it('refuses a client that only looks like an ioredis one, naming the option', () => {
    const lookalike = { isCluster: false, status: 'ready' };
    for (const make of [() => new RedisBackend({ client: lookalike }), () => new RedisLock({ client: lookalike }), () => new InvalidationBus(lookalike, 'p')]) {
      expect(make).toThrow(CacheConfigError);
      expect(make).toThrow(/client: must be an ioredis Redis or Cluster/);
    }
  });
});

describeRedis('connecting', () => {
  it("new Cache({ type: 'redis' }) connects from REDIS_HOST/REDIS_PORT, and from REDIS_URL", async () => {
    const envs: Record<string, string>[] = [{ REDIS_HOST: '127.0.0.1', REDIS_PORT: String(server.port) }, { REDIS_URL: server.url }];
    for (const vars of envs) {
      await withEnv(vars, async () => {
        const cache = new Cache({ type: 'redis', prefix: 'env' });
        try {
          expect(await cache.ping()).toBe(true);
          expect(await cache.set('k', 1)).toBe(true);
          expect(await server.cli('exists', 'env:k')).toBe('1');
        } finally {
          await cache.close();
        }
      });
    }
  });

  it('uses a client passed in and never closes it', async () => {
    const client = new Redis({ port: server.port });
    try {
      const cache = new Cache({ backend: new CoherentTieredBackend({ remote: new RedisBackend({ client, prefix: 'mine' }) }) });
      expect(await cache.set('k', 'v')).toBe(true);
      expect((await cache.get('k'))?.value).toBe('v');
      await cache.close();
      expect(client.status).toBe('ready');
      expect(await client.exists('mine:k')).toBe(1);
    } finally {
      client.disconnect();
    }
  });

  it('clears one namespace by SCAN + UNLINK and leaves the others', async () => {
    const backend = new RedisBackend({ port: server.port, prefix: 'clear' });
    try {
      await backend.setMany([...Array.from({ length: 1200 }, (_, i) => ({ key: `a:${i}`, value: 'x', ttlMs: null })), { key: 'b:1', value: 'y', ttlMs: null }]);
      expect(await backend.clear('a')).toBe(1200);
      expect(await backend.get('a:5')).toBeUndefined();
      expect(await backend.get('b:1')).toBe('y');
    } finally {
      await backend.close();
    }
  });
});

describeRedis('RedisLock', () => {
  it('lets one holder in, frees the key only for its holder, and expires a dead holder', async () => {
    const lock = new RedisLock({ port: server.port, prefix: 'locks' });
    try {
      const release = (await lock.acquire('k', 200)) as LockRelease;
      expect(typeof release).toBe('function');
      expect(await lock.acquire('k', 200)).toBeUndefined();
      await sleep(250); // the holder "died": its lock ran out
      const next = (await lock.acquire('k', 5000)) as LockRelease;
      expect(typeof next).toBe('function');
      await release(); // the first holder overran: it must not free the second one's lock
      await release({ stored: false }); // nor mark it as given up
      expect(await lock.acquire('k', 200)).toBeUndefined();
      await next();
      expect(typeof (await lock.acquire('k', 200))).toBe('function');
    } finally {
      await lock.close();
    }
  });

  it('a holder extends its lease while it has the lock, and learns when it lost it', async () => {
    const lock = new RedisLock({ port: server.port, prefix: 'locks3' });
    try {
      expect(lock.leases).toBe(true);
      const release = (await lock.acquire('k', 200)) as LockRelease;
      await sleep(120);
      expect(await release.extend!(400)).toBe(true);
      await sleep(150); // past the first 200 ms: still held
      expect(await lock.acquire('k', 200)).toBeUndefined();
      await sleep(350); // the extension ran out: lost
      expect(await release.extend!(400)).toBe(false);
      expect(typeof (await lock.acquire('k', 200))).toBe('function');
    } finally {
      await lock.close();
    }
  });

  it('a holder that stored nothing leaves a short "no value" mark: callers go at once, then the lock is free again', async () => {
    const lock = new RedisLock({ port: server.port, prefix: 'locks2' });
    const redis = new Redis({ port: server.port });
    try {
      const release = (await lock.acquire('k', 30_000)) as LockRelease;
      await release({ stored: false });
      expect(await lock.acquire('k', 30_000)).toBe('no-value');
      expect(await lock.acquire('k', 30_000)).toBe('no-value');
      // The mark is short-lived (2 s), not the lock's 30 s.
      const ttl = await redis.pttl('locks2#lock:k');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(2000);
      await redis.del('locks2#lock:k');
      expect(typeof (await lock.acquire('k', 30_000))).toBe('function');
    } finally {
      redis.disconnect();
      await lock.close();
    }
  });
});

describeRedis('the coherent memory tier', () => {
  it('empties itself when its invalidation subscription drops, since changes may have been missed', async () => {
    const writer = new Cache({ type: 'redis', port: server.port, prefix: 'heal' });
    const reader = new Cache({ type: 'redis', port: server.port, prefix: 'heal' });
    try {
      await sleep(200);
      await writer.set('k', 'v1');
      await sleep(50); // the writer's announcement has reached the reader
      expect((await reader.get('k'))?.value).toBe('v1');
      const tier = reader.backend as CoherentTieredBackend;
      expect(tier.memory.get('k')).toBeDefined(); // now in reader's memory tier
      // Cut every subscriber connection, and change the entry while they are gone.
      await server.cli('client', 'kill', 'type', 'pubsub');
      await server.cli('set', 'heal:k', (await server.cli('get', 'heal:k')).replace('v1', 'v2'));
      await sleep(300);
      expect(tier.bus.live).toBe(true); // back, and listening
      expect((await reader.get('k'))?.value).toBe('v2');
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('two instances overwriting one key at once both end up serving what Redis holds', async () => {
    const [a, b] = [new Cache({ type: 'redis', port: server.port, prefix: 'race' }), new Cache({ type: 'redis', port: server.port, prefix: 'race' })];
    const stale: string[] = [];
    try {
      await sleep(200);
      for (let i = 0; i < 150; i++) {
        await Promise.all([a.set('k', `a${i}`), b.set('k', `b${i}`)]);
        await sleep(15); // announcements delivered
        const stored = (await (a.backend as CoherentTieredBackend).remote.get('k'))!;
        const truth = JSON.parse(stored).d as string;
        for (const [name, cache] of [
          ['a', a],
          ['b', b],
        ] as const) {
          const seen = (await cache.get('k'))?.value;
          if (seen !== truth) stale.push(`round ${i}: ${name} served ${String(seen)}, Redis holds ${truth}`);
        }
      }
      expect(stale).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);
});
