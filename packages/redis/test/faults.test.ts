import { Cache } from '@llmcache/core';
import { Router } from '@llmcache/router';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  at: number;
  ms: number;
  ok: boolean;
  cacheHit: boolean;
}

/** Runs `loops` callers in a loop over `prompts` distinct prompts until stopped; records every call. */
function steadyLoad(router: Router, loops = 8, prompts = 20) {
  const outcomes: Outcome[] = [];
  let running = true;
  let n = 0;
  const done = Promise.all(
    Array.from({ length: loops }, async () => {
      while (running) {
        const started = Date.now();
        try {
          const res = await router.completion({ model: 'gpt', messages: [{ role: 'user', content: `steady ${n++ % prompts}` }] });
          outcomes.push({ at: started, ms: Date.now() - started, ok: true, cacheHit: res._hiddenParams.cacheHit });
        } catch {
          outcomes.push({ at: started, ms: Date.now() - started, ok: false, cacheHit: false });
        }
        await sleep(2);
      }
    }),
  );
  return { outcomes, stop: async () => ((running = false), await done) };
}

function routerOn(cache: Cache): Router {
  return new Router({ modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: upstream.openaiBase, apiKey: 'sk-test' } }], cache });
}

describeRedis('Redis faults under steady load', () => {
  for (const memoryTier of [true, false]) {
    it(`Redis stopped: zero failed calls; restarted: hits resume within 2 s (memoryTier: ${memoryTier})`, async () => {
      const cache = new Cache({ type: 'redis', port: server.port, memoryTier, operationTimeoutMs: 500, namespace: `stop-${memoryTier}` });
      const errors: Error[] = [];
      cache.on('error', (e) => errors.push(e));
      const load = steadyLoad(routerOn(cache));
      try {
        await sleep(500);
        expect(load.outcomes.some((o) => o.cacheHit)).toBe(true);
        await server.stop();
        const stoppedAt = Date.now();
        await sleep(1000);
        expect(await cache.ping()).toBe(false);
        await server.start();
        const restartedAt = Date.now();
        await sleep(2500);
        await load.stop();
        const down = load.outcomes.filter((o) => o.at >= stoppedAt && o.at < restartedAt);
        expect(down.length).toBeGreaterThan(20);
        expect(load.outcomes.filter((o) => !o.ok)).toEqual([]);
        // Once the client has seen the socket close (a few ms after the kill), every call goes upstream...
        expect(down.filter((o) => o.cacheHit && o.at > stoppedAt + 50).map((o) => o.at - stoppedAt)).toEqual([]);
        expect(Math.max(...down.map((o) => o.ms))).toBeLessThan(500); // ...without waiting on Redis
        expect(errors.length).toBeGreaterThan(0);
        const firstHit = load.outcomes.find((o) => o.at >= restartedAt && o.cacheHit);
        expect(firstHit).toBeDefined();
        expect(firstHit!.at + firstHit!.ms - restartedAt).toBeLessThan(2000);
        expect(await cache.ping()).toBe(true);
      } finally {
        await load.stop();
        await cache.close();
        await server.start().catch(() => undefined);
      }
    }, 30_000);
  }

  it('Redis paused (CLIENT PAUSE): each call is delayed by at most the operation timeout', async () => {
    const timeoutMs = 300;
    const cache = new Cache({ type: 'redis', port: server.port, operationTimeoutMs: timeoutMs, namespace: 'pause', memoryTier: false });
    cache.on('error', () => undefined);
    const load = steadyLoad(routerOn(cache));
    try {
      await sleep(500);
      const before = load.outcomes.filter((o) => o.ok).map((o) => o.ms);
      const baseline = before.sort((a, b) => a - b)[Math.floor(before.length * 0.99)]!;
      const pausedAt = Date.now();
      await server.cli('client', 'pause', '2000');
      await sleep(2500);
      await load.stop();
      const during = load.outcomes.filter((o) => o.at >= pausedAt - 50 && o.at < pausedAt + 2000);
      expect(during.length).toBeGreaterThan(20);
      expect(during.filter((o) => !o.ok)).toEqual([]);
      // The timeout plus what a call costs anyway, with room for a busy machine.
      expect(Math.max(...during.map((o) => o.ms))).toBeLessThan(timeoutMs + baseline + 150);
      const after = load.outcomes.filter((o) => o.at > pausedAt + 2300);
      expect(after.some((o) => o.cacheHit)).toBe(true);
    } finally {
      await load.stop();
      await cache.close();
    }
  }, 30_000);
});
