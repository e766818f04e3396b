import { Router } from '@llmcache/router';
import { RedisRouterState } from '@llmcache/redis';
import { describeRedis, startStandalone, useRedisAndUpstream } from './servers';
import { startWorkers } from './workers';

type Answer = { content?: string; cacheHit?: boolean; deploymentId?: string; error?: string; status?: number };

const { env, closeAfterEach } = useRedisAndUpstream();

const ask = (content: string) => ({ model: 'gpt', messages: [{ role: 'user' as const, content }] });
const deployment = (model: string, extra: Record<string, unknown> = {}) => ({
  modelName: 'gpt',
  params: { model: `openai/${model}`, apiBase: env.upstream.openaiBase, apiKey: 'sk-test', ...extra },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let run = 0;
/** A fresh prefix per test, so that tests never see each other's state. */
const state = () => ({ port: env.server.port, prefix: `rs-${Date.now()}-${run++}` });

/** Usage is counted per minute: start where the rest of the minute leaves room for the test. */
async function awayFromMinuteEdge(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await sleep(left + 50);
}

describeRedis('RedisRouterState shared by router processes', () => {
  it('a deployment cooled down by one process is skipped by every other within one second', async () => {
    const config = {
      modelList: [deployment('gpt-a'), deployment('gpt-b')],
      state: state(),
      router: { allowedFails: 0, cooldownTime: 30, numRetries: 0 },
    };
    const workers = closeAfterEach(await startWorkers(3, config));
    env.upstream.script('gpt-a', ...Array.from({ length: 50 }, () => ({ status: 500, message: 'down' })));
    // Process 0 calls until it has hit gpt-a once (a failure, which cools it down).
    for (let i = 0; i < 40 && env.upstream.callCount({ model: 'gpt-a' }) === 0; i++) await workers[0]!.call('completion', { request: ask(`probe ${i}`) });
    expect(env.upstream.callCount({ model: 'gpt-a' })).toBe(1);
    const cooledAt = Date.now();
    const answers = (await Promise.all(workers.slice(1).map((w) => w.call<Answer[]>('sequence', { request: ask('after cooldown'), n: 15 })))).flat();
    expect(Date.now() - cooledAt).toBeLessThan(10_000);
    expect(answers.every((a) => a.deploymentId !== undefined && !a.error)).toBe(true);
    expect(env.upstream.callCount({ model: 'gpt-a' })).toBe(1);
    expect(env.upstream.callCount({ model: 'gpt-b' })).toBeGreaterThanOrEqual(30);
  }, 60_000);

  it('an rpm limit holds across processes: usage-based routing sees the sum', async () => {
    await awayFromMinuteEdge(15_000);
    const config = {
      modelList: [deployment('gpt-limited', { rpm: 10 })],
      state: state(),
      router: { routingStrategy: 'usage-based-routing', numRetries: 0 },
    };
    const workers = closeAfterEach(await startWorkers(2, config));
    const first = await workers[0]!.call<Answer[]>('sequence', { request: ask('rpm'), n: 6 });
    const second = await workers[1]!.call<Answer[]>('sequence', { request: ask('rpm'), n: 6 });
    expect(first.filter((a) => a.error)).toEqual([]);
    expect(second.slice(0, 4).filter((a) => a.error)).toEqual([]);
    expect(second.slice(4).map((a) => a.status)).toEqual([429, 429]);
    expect(env.upstream.callCount({ model: 'gpt-limited' })).toBe(10);
  }, 60_000);
});

describeRedis('RedisRouterState', () => {
  it('counts failures in a sliding window and usage per minute across instances, atomically under concurrency', async () => {
    const options = state();
    const [a, b] = [new RedisRouterState(options), new RedisRouterState(options)];
    try {
      const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).recordFailure('d1', Date.now(), 60_000)));
      expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      // Failures older than the window (by Redis's clock) no longer count.
      await sleep(150);
      expect(await a.recordFailure('d1', Date.now(), 100)).toBe(1);
      await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).addUsage('d1', 7, { requests: 1, tokens: 3 })));
      expect((await a.usage(['d1', 'd2'], 7)).get('d1')).toEqual({ requests: 50, tokens: 150 });
      expect((await b.usage(['d1', 'd2'], 7)).has('d2')).toBe(false);
      await a.startCooldown('d1', Date.now() + 300);
      await b.startCooldown('d1', Date.now() + 100); // never shortens
      expect([...(await b.coolingDown(['d1', 'd2'], Date.now()))]).toEqual(['d1']);
      await sleep(350);
      expect((await b.coolingDown(['d1'], Date.now())).size).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('falls back to its own memory when Redis is down, and calls keep succeeding', async () => {
    const own = await startStandalone();
    const shared = new RedisRouterState({ port: own.port });
    const errors: Error[] = [];
    shared.on('error', (e) => errors.push(e));
    const router = new Router({
      modelList: [deployment('gpt-a'), deployment('gpt-b')],
      state: shared,
      allowedFails: 0,
      cooldownTime: 30,
      numRetries: 1,
    });
    try {
      expect(await shared.ping()).toBe(true);
      await own.stop();
      env.upstream.script('gpt-a', ...Array.from({ length: 20 }, () => ({ status: 500, message: 'down' })));
      const started = Date.now();
      for (let i = 0; i < 20; i++) {
        const res = await router.completion(ask(`redis down ${i}`));
        expect(res.choices[0]!.message.content).toContain('from gpt-b');
      }
      expect(Date.now() - started).toBeLessThan(5000);
      // The local state still cooled gpt-a down after its first failure.
      expect(env.upstream.callCount({ model: 'gpt-a' })).toBe(1);
      expect(errors.length).toBeGreaterThan(0);
      expect(await shared.ping()).toBe(false);
    } finally {
      await shared.close();
      await own.close();
    }
  }, 30_000);
});
