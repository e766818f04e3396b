// A Redis that is there but does not answer: a port that accepts and never replies, a path that stops
// forwarding without closing (half-open), a restart, and a silently dead invalidation subscriber.
import { Cache } from '@llmcache/core';
import { CoherentTieredBackend, RedisBackend, RedisRouterState } from '@llmcache/redis';
import { Router } from '@llmcache/router';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { startProxy, startSilentListener } from './proxy';
import { describeRedis, startStandalone, type RedisServer } from './servers';

let server: RedisServer & { close(): Promise<void> };
let upstream: Upstream;

beforeAll(async () => {
  [server, upstream] = await Promise.all([startStandalone(), startUpstream()]);
});
afterAll(async () => {
  await upstream?.close();
  await server?.close();
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let run = 0;

function routerOn(cache: Cache): Router {
  return new Router({ modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: upstream.openaiBase, apiKey: 'sk-test' } }], cache });
}

/** Durations of `n` calls made one after another, each a distinct miss. */
async function sequentialCalls(router: Router, n: number, tag: string): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = Date.now();
    await router.completion({ model: 'gpt', messages: [{ role: 'user', content: `${tag} ${i}` }] });
    ms.push(Date.now() - started);
  }
  return ms;
}

describeRedis('a Redis that accepts connections and never answers', () => {
  const timeoutMs = 300;

  for (const memoryTier of [false, true]) {
    it(`costs one bounded delay, not one per call (never connected, memoryTier: ${memoryTier})`, async () => {
      const silent = await startSilentListener();
      const cache = new Cache({ type: 'redis', port: silent.port, operationTimeoutMs: timeoutMs, memoryTier, namespace: `hung-${run++}` });
      cache.on('error', () => undefined);
      const router = routerOn(cache);
      try {
        const ms = await sequentialCalls(router, 12, 'hung');
        console.log(`never-answering Redis, memoryTier ${memoryTier}: call times ${ms.join(', ')} ms`);
        expect(ms[0]).toBeLessThan(timeoutMs * 2 + 500);
        // The rest go past Redis: what an upstream call costs, none of them a timeout (a busy machine may
        // slow one, never all).
        expect(Math.max(...ms.slice(2))).toBeLessThan(timeoutMs);
        expect(median(ms.slice(2))).toBeLessThan(50);
      } finally {
        await router.close();
        await cache.close();
        await silent.close();
      }
    }, 30_000);
  }

  it('a path that goes silent after connecting (half-open) costs one bounded delay; hits resume once a new connection answers', async () => {
    const proxy = await startProxy(server.port);
    const cache = new Cache({ type: 'redis', port: proxy.port, operationTimeoutMs: timeoutMs, memoryTier: false, namespace: `half-${run++}` });
    cache.on('error', () => undefined);
    const router = routerOn(cache);
    try {
      await sequentialCalls(router, 3, 'half');
      expect((await router.completion({ model: 'gpt', messages: [{ role: 'user', content: 'half 0' }] }))._hiddenParams.cacheHit).toBe(true);
      expect(proxy.freeze()).toBeGreaterThan(0);
      const ms = await sequentialCalls(router, 12, 'half-frozen');
      console.log(`half-open path: call times ${ms.join(', ')} ms`);
      expect(ms[0]).toBeLessThan(timeoutMs * 2 + 500);
      expect(Math.max(...ms.slice(2))).toBeLessThan(timeoutMs);
      expect(median(ms.slice(2))).toBeLessThan(50);
      // The stalled socket is given up for a new one, which the proxy forwards.
      let hit = false;
      const deadline = Date.now() + 5000;
      while (!hit && Date.now() < deadline) {
        hit = (await router.completion({ model: 'gpt', messages: [{ role: 'user', content: 'half 0' }] }))._hiddenParams.cacheHit;
        if (!hit) await sleep(100);
      }
      expect(hit).toBe(true);
    } finally {
      await router.close();
      await cache.close();
      await proxy.close();
    }
  }, 30_000);

  it('RedisRouterState: one bounded delay, then this process state at once', async () => {
    const silent = await startSilentListener();
    const state = new RedisRouterState({ port: silent.port, commandTimeoutMs: timeoutMs });
    state.on('error', () => undefined);
    try {
      const ms: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = Date.now();
        await state.coolingDown(['a', 'b'], Date.now());
        await state.recordFailure('a', Date.now(), 60_000);
        ms.push(Date.now() - started);
      }
      console.log(`never-answering Redis, RedisRouterState: ${ms.join(', ')} ms`);
      expect(ms[0]).toBeLessThan(timeoutMs * 2 + 500);
      expect(Math.max(...ms.slice(2))).toBeLessThan(50);
    } finally {
      await state.close();
      await silent.close();
    }
  }, 30_000);
});

describeRedis('a reconnect', () => {
  // A client made while Redis is down keeps reconnecting; the reads that arrive while it is between a
  // refused attempt and the next must not wait the first-connection timeout.
  it('reads arriving while the client reconnects (Redis down at start, then restarted) never wait a connection timeout', async () => {
    const timeoutMs = 1000;
    await server.stop();
    const backend = new RedisBackend({ port: server.port, commandTimeoutMs: timeoutMs, prefix: `reconnect-${run++}` });
    try {
      const slow: number[] = [];
      let reads = 0;
      let ok = 0;
      const until = Date.now() + 6000;
      const loop = (async () => {
        while (Date.now() < until) {
          const started = Date.now();
          if (
            await backend.get('k').then(
              () => true,
              () => false,
            )
          )
            ok++;
          const ms = Date.now() - started;
          reads++;
          if (ms > 200) slow.push(ms);
          await sleep(15);
        }
      })();
      await sleep(2500);
      await server.start();
      await sleep(1000);
      await server.stop();
      await sleep(1000);
      await server.start();
      await loop;
      console.log(`reads during reconnects: ${reads}, answered ${ok}, slower than 200 ms: ${slow.length} (${slow.join(', ')} ms)`);
      expect(reads).toBeGreaterThan(150);
      expect(ok).toBeGreaterThan(20);
      expect(slow).toEqual([]);
    } finally {
      await backend.close();
      await server.start();
    }
  }, 30_000);
});

describeRedis('the invalidation subscriber', () => {
  it('a subscriber connection gone silently dead is detected, and memory is not served until it is back', async () => {
    const proxy = await startProxy(server.port);
    const prefix = `sub-${run++}`;
    const a = new CoherentTieredBackend({ remote: new RedisBackend({ port: proxy.port, prefix, commandTimeoutMs: 500 }) });
    const b = new CoherentTieredBackend({ remote: new RedisBackend({ port: server.port, prefix }) });
    try {
      for (const t of [a, b]) for (let i = 0; i < 50 && !t.bus.live; i++) await sleep(20);
      expect(a.bus.live && b.bus.live).toBe(true);
      await a.set('k', 'v1', null);
      expect(await a.get('k')).toBe('v1');
      expect(a.memory.size).toBe(1);
      expect(proxy.freeze((sent) => /subscribe/i.test(sent))).toBe(1);
      await b.delete('k');
      const stale: number[] = [];
      const started = Date.now();
      for (let i = 0; i < 20; i++) {
        if ((await a.get('k')) === 'v1') stale.push(Date.now() - started);
        await sleep(250);
      }
      console.log(`after a delete elsewhere, dead subscriber: ${stale.length} of 20 reads over 5 s stale (at ${stale.join(', ')} ms)`);
      // Detected within a keepalive interval and a reply wait (1 s + 0.5 s here), with room for a busy machine.
      expect(stale.filter((at) => at > 2500)).toEqual([]);
      // And it comes back on a fresh connection.
      for (let i = 0; i < 100 && !a.bus.live; i++) await sleep(50);
      expect(a.bus.live).toBe(true);
    } finally {
      await a.close();
      await b.close();
      await proxy.close();
    }
  }, 30_000);
});
