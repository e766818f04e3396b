// Shared routing state under concurrency, outages and skewed clocks (issue 16, "Shared routing state"):
// real redis-server processes, real router processes and a local upstream that counts calls.
import { Router, RateLimitError } from '@llmcache/router';
import { RedisRouterState } from '@llmcache/redis';
import { describeRedis, startStandalone, useRedisAndUpstream } from './servers';
import { startWorker, startWorkers } from './workers';

type Answer = { content?: string; deploymentId?: string; error?: string; status?: number; name?: string; retryAfter?: number };

const { env, closeAfterEach } = useRedisAndUpstream();

const ask = (content: string, model = 'gpt') => ({ model, messages: [{ role: 'user' as const, content }] });
const deployment = (group: string, model: string, extra: Record<string, unknown> = {}) => ({
  modelName: group,
  params: { model: `openai/${model}`, apiBase: env.upstream.openaiBase, apiKey: 'sk-test', ...extra },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let run = 0;
/** A fresh prefix per test, so that tests never see each other's state. */
const state = () => ({ port: env.server.port, prefix: `rsf-${Date.now()}-${run++}` });

/** Usage is counted per minute: start where the rest of the minute leaves room for the test. */
async function awayFromMinuteEdge(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await sleep(left + 50);
}

const RPM = 30;
/** The target: within 5 % of the limit. */
const MOST = Math.floor(RPM * 1.05);

function expectRateLimited(refused: Answer[]): void {
  for (const answer of refused) {
    expect(answer).toMatchObject({ status: 429, name: 'RateLimitError' });
    expect(answer.retryAfter).toBeGreaterThan(0);
    expect(answer.retryAfter).toBeLessThanOrEqual(60);
  }
}

describeRedis('rpm limits on a shared state hold under concurrency', () => {
  it(`one process with redis: 80 concurrent calls against rpm ${RPM} send at most ${MOST} upstream, the rest 429`, async () => {
    await awayFromMinuteEdge(15_000);
    env.upstream.setLatency('gpt-limited', 100);
    const router = new Router({
      modelList: [deployment('gpt', 'gpt-limited', { rpm: RPM })],
      redis: state(),
      routingStrategy: 'usage-based-routing',
      numRetries: 0,
    });
    closeAfterEach([router]);
    router.on('error', () => undefined);
    const settled = await Promise.allSettled(Array.from({ length: 80 }, (_, i) => router.completion(ask(`concurrent ${i}`))));
    const sent = env.upstream.callCount({ model: 'gpt-limited' });
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as RateLimitError] : []));
    expect(sent).toBeGreaterThanOrEqual(RPM);
    expect(sent).toBeLessThanOrEqual(MOST);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(sent);
    for (const err of refused) expect(err).toBeInstanceOf(RateLimitError);
    expectRateLimited(refused.map((e) => ({ status: e.status, name: e.name, retryAfter: e.retryAfter })));
  }, 60_000);

  it(`4 processes × 20 concurrent calls against rpm ${RPM} send at most ${MOST} upstream, the rest 429`, async () => {
    await awayFromMinuteEdge(20_000);
    env.upstream.setLatency('gpt-limited', 100);
    const config = {
      modelList: [deployment('gpt', 'gpt-limited', { rpm: RPM })],
      state: state(),
      router: { routingStrategy: 'usage-based-routing', numRetries: 0 },
    };
    const workers = closeAfterEach(await startWorkers(4, config));
    const answers = (await Promise.all(workers.map((w, i) => w.call<Answer[]>('burst', { request: ask(`process ${i}`), n: 20, distinct: true })))).flat();
    const sent = env.upstream.callCount({ model: 'gpt-limited' });
    expect(answers).toHaveLength(80);
    expect(sent).toBeGreaterThanOrEqual(RPM);
    expect(sent).toBeLessThanOrEqual(MOST);
    expect(answers.filter((a) => !a.error)).toHaveLength(sent);
    expectRateLimited(answers.filter((a) => a.error));
  }, 60_000);
});

describeRedis('RedisRouterState.reserve', () => {
  it('grants exactly rpm places among 100 concurrent reservations on two instances; tpm counts tokens plus the expected ones', async () => {
    const options = state();
    const [a, b] = [new RedisRouterState(options), new RedisRouterState(options)];
    try {
      const granted = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).reserve('d1', 7, { requests: 1, expectedTokens: 0, rpm: 30 })));
      expect(granted.filter(Boolean)).toHaveLength(30);
      // A refused reservation counted nothing.
      expect((await a.usage(['d1'], 7)).get('d1')).toEqual({ requests: 30, tokens: 0 });
      await a.addUsage('d2', 7, { requests: 0, tokens: 90 });
      expect(await b.reserve('d2', 7, { requests: 1, expectedTokens: 20, tpm: 100 })).toBe(false);
      expect(await b.reserve('d2', 7, { requests: 1, expectedTokens: 10, tpm: 100 })).toBe(true);
      expect(await b.reserve('d3', 7, { requests: 1, expectedTokens: 1_000_000 })).toBe(true); // no limits
      expect((await a.usage(['d2', 'd3'], 7)).get('d2')).toEqual({ requests: 1, tokens: 90 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('with Redis down, holds the limit on what this process counted itself', async () => {
    const own = await startStandalone();
    const shared = new RedisRouterState({ port: own.port });
    shared.on('error', () => undefined);
    try {
      expect(await shared.reserve('d1', 7, { requests: 1, expectedTokens: 0, rpm: 3 })).toBe(true);
      await own.stop();
      const granted = await Promise.all(Array.from({ length: 5 }, () => shared.reserve('d1', 7, { requests: 1, expectedTokens: 0, rpm: 3 })));
      expect(granted.filter(Boolean)).toHaveLength(2);
    } finally {
      await shared.close();
      await own.close();
    }
  });
});

describeRedis('cooldowns on a shared state', () => {
  it('a cooldown taken while Redis was down still holds after Redis returns', async () => {
    const own = await startStandalone();
    const shared = new RedisRouterState({ port: own.port });
    shared.on('error', () => undefined);
    const router = new Router({
      modelList: [deployment('gpt', 'gpt-a'), deployment('gpt', 'gpt-b')],
      state: shared,
      allowedFails: 0,
      cooldownTime: 30,
      numRetries: 0,
    });
    router.on('error', () => undefined);
    try {
      expect(await shared.ping()).toBe(true);
      await own.stop();
      // gpt-a fails once, then answers: a call that reaches it again proves the cooldown was forgotten.
      env.upstream.script('gpt-a', { status: 500, message: 'down' });
      for (let i = 0; i < 40 && env.upstream.callCount({ model: 'gpt-a' }) === 0; i++) await router.completion(ask(`while down ${i}`)).catch(() => undefined);
      expect(env.upstream.callCount({ model: 'gpt-a' })).toBe(1);
      await own.start();
      const deadline = Date.now() + 10_000;
      while (!(await shared.ping()) && Date.now() < deadline) await sleep(50);
      expect(await shared.ping()).toBe(true);
      const before = env.upstream.callCount({ model: 'gpt-b' });
      for (let i = 0; i < 20; i++) await router.completion(ask(`after return ${i}`));
      expect(env.upstream.callCount({ model: 'gpt-a' })).toBe(1);
      expect(env.upstream.callCount({ model: 'gpt-b' }) - before).toBe(20);
    } finally {
      await router.close();
      await shared.close();
      await own.close();
    }
  }, 60_000);

  it("failures from a router 70 s behind count in the same one-minute window: Redis's clock decides", async () => {
    const config = {
      modelList: [deployment('gpt', 'gpt-a'), deployment('gpt', 'gpt-b')],
      state: state(),
      router: { allowedFails: 1, cooldownTime: 30, numRetries: 0 },
    };
    const [behind, onTime] = closeAfterEach(await Promise.all([startWorker(config, { clockSkewMs: -70_000 }), startWorker(config)]));
    // gpt-a fails twice, then answers: two failures (one from each router) must cool it down.
    env.upstream.script('gpt-a', { status: 500, message: 'down' }, { status: 500, message: 'down' });
    for (let i = 0; i < 40 && env.upstream.callCount({ model: 'gpt-a' }) < 1; i++) await behind!.call('completion', { request: ask(`behind ${i}`) });
    for (let i = 0; i < 40 && env.upstream.callCount({ model: 'gpt-a' }) < 2; i++) await onTime!.call('completion', { request: ask(`on time ${i}`) });
    expect(env.upstream.callCount({ model: 'gpt-a' })).toBe(2);
    const answers = await onTime!.call<Answer[]>('sequence', { request: ask('after'), n: 10 });
    expect(answers.filter((a) => a.error)).toEqual([]);
    expect(env.upstream.callCount({ model: 'gpt-a' })).toBe(2);
  }, 60_000);

  const SKEW_MS = 10_000;
  const cases = [
    { name: 'a router 10 s ahead skips a deployment cooled down by one on time', writer: 0, reader: SKEW_MS },
    { name: 'a router on time skips a deployment cooled down by one 10 s behind', writer: -SKEW_MS, reader: 0 },
  ];
  for (const { name, writer, reader } of cases) {
    it(`${name}: Redis's TTL decides, not a timestamp`, async () => {
      const config = {
        modelList: [deployment('gpt', 'gpt-a'), deployment('gpt', 'gpt-b')],
        state: state(),
        router: { allowedFails: 0, cooldownTime: 8, numRetries: 0 },
      };
      const [cooling, reading] = closeAfterEach(
        await Promise.all([startWorker(config, { clockSkewMs: writer }), startWorker(config, { clockSkewMs: reader })]),
      );
      // gpt-a fails once (which cools it down for 8 s), then answers: a call that reaches it again proves the cooldown was missed.
      env.upstream.script('gpt-a', { status: 500, message: 'down' });
      for (let i = 0; i < 40 && env.upstream.callCount({ model: 'gpt-a' }) === 0; i++) await cooling!.call('completion', { request: ask(`probe ${i}`) });
      expect(env.upstream.callCount({ model: 'gpt-a' })).toBe(1);
      const cooledAt = Date.now();
      const answers = await reading!.call<Answer[]>('sequence', { request: ask('read'), n: 10 });
      expect(Date.now() - cooledAt).toBeLessThan(6000); // well inside the 8 s cooldown
      expect(answers.filter((a) => a.error)).toEqual([]);
      expect(env.upstream.callCount({ model: 'gpt-a' })).toBe(1);
      expect(env.upstream.callCount({ model: 'gpt-b' })).toBeGreaterThanOrEqual(10);
    }, 60_000);
  }
});
