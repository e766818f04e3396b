import {
  AuthenticationError,
  deploymentId,
  Router,
  RateLimitError,
  TimeoutError,
  BadRequestError,
  ContextWindowExceededError,
  InternalServerError,
  ServiceUnavailableError,
} from '@llmcache/router';
import { ask, deployment, fragileRouter, rejection, useUpstream } from './helpers';

const upstream = useUpstream();

/** Records router events in order as short strings. */
function trace(router: Router): string[] {
  const log: string[] = [];
  router.on('retry', (e) => log.push(`retry ${e.modelGroup} #${e.attempt} (${(e.error as { status?: number }).status})`));
  router.on('fallback', (e) => log.push(`fallback ${e.from} -> ${e.to}`));
  router.on('cooldown', (e) => log.push(`cooldown ${e.modelGroup}`));
  router.on('success', (e) => log.push(`success ${e.modelGroup}`));
  return log;
}

describe('retries, fallbacks and cooldowns', () => {
  it('retries 429 and 5xx up to numRetries, honouring Retry-After', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'model-a')], numRetries: 2, retryAfter: 0.01, cache: undefined });
    upstream().script('model-a', { status: 429, retryAfter: 0.3 }, { status: 503 });
    const log = trace(router);
    const started = Date.now();
    const res = await router.completion({ model: 'a', messages: ask('retry') });
    expect(res.choices[0]!.message.content).toBe('Reply to "retry" from model-a');
    expect(upstream().callCount()).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(log).toEqual(['retry a #1 (429)', 'retry a #2 (503)', 'success a']);
  });

  it('gives up after numRetries + 1 attempts with the typed error, status and Retry-After', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'model-a')], numRetries: 1, retryAfter: 0.01 });
    upstream().script('model-a', { status: 429, retryAfter: 0 }, { status: 429, retryAfter: 0, message: 'slow down' });
    const err = await router.completion({ model: 'a', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ name: 'RateLimitError', status: 429, retryAfter: 0 });
    expect((err as Error).message).toContain('slow down');
    expect(upstream().callCount()).toBe(2);
  });

  it("types a 503 as LiteLLM's ServiceUnavailableError (an InternalServerError), retried like any 5xx", async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'model-a')], numRetries: 1, retryAfter: 0.01 });
    upstream().script('model-a', { status: 503, retryAfter: 0 }, { status: 503, retryAfter: 0, message: 'overloaded' });
    const err = await router.completion({ model: 'a', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ name: 'ServiceUnavailableError', status: 503 });
    expect((err as Error).message).toContain('overloaded');
    expect(upstream().callCount()).toBe(2);
    upstream().script('model-a', { status: 500, retryAfter: 0 }, { status: 500, retryAfter: 0 });
    const plain = await router.completion({ model: 'a', messages: ask('y') }).catch((e: unknown) => e);
    expect(plain).toMatchObject({ name: 'InternalServerError', status: 500 });
    expect(plain).not.toBeInstanceOf(ServiceUnavailableError);
  });

  it('does not retry other 4xx', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'model-a')], numRetries: 3 });
    upstream().script('model-a', { status: 400, message: 'bad param' });
    await expect(router.completion({ model: 'a', messages: ask('x') })).rejects.toBeInstanceOf(BadRequestError);
    expect(upstream().callCount()).toBe(1);
  });

  it('retries, then falls back, in the order the options say', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'primary', 'p-model'), deployment(upstream(), 'second', 's-model'), deployment(upstream(), 'third', 't-model')],
      numRetries: 1,
      retryAfter: 0.01,
      fallbacks: [{ primary: ['second', 'third'] }],
    });
    upstream().script('p-model', { status: 500 }, { status: 500 });
    upstream().script('s-model', { status: 502 }, { status: 502 });
    const log = trace(router);
    const res = await router.completion({ model: 'primary', messages: ask('fall') });
    expect(res.choices[0]!.message.content).toBe('Reply to "fall" from t-model');
    expect(res._hiddenParams.modelGroup).toBe('third');
    expect(log).toEqual(['retry primary #1 (500)', 'fallback primary -> second', 'retry second #1 (502)', 'fallback second -> third', 'success third']);
    expect(upstream().calls.map((c) => c.model)).toEqual(['p-model', 'p-model', 's-model', 's-model', 't-model']);
  });

  it('retries until the group cools down, then falls back; the next call skips the cooled group', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'primary', 'down-a'), deployment(upstream(), 'primary', 'down-b'), deployment(upstream(), 'backup', 'up-model')],
      numRetries: 3,
      retryAfter: 0.01,
      allowedFails: 0,
      cooldownTime: 30,
      fallbacks: [{ primary: ['backup'] }],
    });
    upstream().script('down-a', { status: 500 });
    upstream().script('down-b', { status: 500 });
    const log = trace(router);
    const failures: number[] = [];
    router.on('failure', (e) => failures.push(e.latencyMs));
    const res = await router.completion({ model: 'primary', messages: ask('order 1') });
    expect(log).toEqual(['cooldown primary', 'retry primary #1 (500)', 'cooldown primary', 'fallback primary -> backup', 'success backup']);
    expect(
      upstream()
        .calls.map((c) => c.model)
        .sort(),
    ).toEqual(['down-a', 'down-b', 'up-model']);
    expect(upstream().calls[2]!.model).toBe('up-model');
    expect(res._hiddenParams.modelGroup).toBe('backup');
    expect(failures).toHaveLength(2);
    expect(failures.every((ms) => ms > 0)).toBe(true);
    upstream().reset();
    log.length = 0;
    await router.completion({ model: 'primary', messages: ask('order 2') });
    expect(log).toEqual(['fallback primary -> backup', 'success backup']);
    expect(upstream().calls.map((c) => c.model)).toEqual(['up-model']);
  });

  it("'*' fallbacks apply to any group", async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'a', 'm-a'), deployment(upstream(), 'b', 'm-b')],
      numRetries: 0,
      fallbacks: [{ '*': ['b'] }],
    });
    upstream().script('m-a', { status: 500 });
    expect((await router.completion({ model: 'a', messages: ask('any') })).choices[0]!.message.content).toContain('from m-b');
  });

  it('a context window error goes to contextWindowFallbacks, without retries', async () => {
    const router = new Router({
      modelList: [
        deployment(upstream(), 'small', 'small-model'),
        deployment(upstream(), 'large', 'large-model'),
        deployment(upstream(), 'other', 'other-model'),
      ],
      contextWindowFallbacks: [{ small: ['large'] }],
      fallbacks: [{ small: ['other'] }],
    });
    const tooLong = { status: 400, message: "This model's maximum context length is 4096 tokens. However, your messages resulted in 9000 tokens." };
    upstream().script('small-model', tooLong);
    const res = await router.completion({ model: 'small', messages: ask('a very long prompt') });
    expect(res.choices[0]!.message.content).toContain('from large-model');
    expect(upstream().calls.map((c) => c.model)).toEqual(['small-model', 'large-model']);
    upstream().script('small-model', tooLong);
    const noFallback = new Router({ modelList: [deployment(upstream(), 'small', 'small-model')] });
    await expect(noFallback.completion({ model: 'small', messages: ask('a very long prompt') })).rejects.toBeInstanceOf(ContextWindowExceededError);
  });

  it('cools a deployment down after more than allowedFails failures in a minute, for cooldownTime', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'g', 'flaky'), deployment(upstream(), 'g', 'steady')],
      routingStrategy: 'least-busy',
      numRetries: 0,
      allowedFails: 1,
      cooldownTime: 0.5,
    });
    const cooldowns: string[] = [];
    router.on('cooldown', (e) => cooldowns.push(e.deploymentId));
    upstream().script('flaky', { status: 500 }, { status: 500 });
    const flakyId = deploymentId('g', deployment(upstream(), 'g', 'flaky').params);
    // Drive two failures into "flaky" (least-busy with no load picks at random, so call until both happened).
    for (let i = 0; i < 40 && upstream().callCount({ model: 'flaky' }) < 2; i++) {
      await router.completion({ model: 'g', messages: ask(`c${i}`) }).catch(() => undefined);
    }
    expect(cooldowns).toEqual([flakyId]);
    upstream().reset();
    for (let i = 0; i < 10; i++) await router.completion({ model: 'g', messages: ask(`during ${i}`) });
    expect(upstream().callCount({ model: 'flaky' })).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    for (let i = 0; i < 30 && upstream().callCount({ model: 'flaky' }) === 0; i++) await router.completion({ model: 'g', messages: ask(`after ${i}`) });
    expect(upstream().callCount({ model: 'flaky' })).toBeGreaterThan(0);
  });

  it('never cools down on other 4xx', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'm1'), deployment(upstream(), 'g', 'm2')], numRetries: 0, allowedFails: 0 });
    const cooldowns: unknown[] = [];
    router.on('cooldown', (e) => cooldowns.push(e));
    upstream().script('m1', { status: 400 }, { status: 400 });
    upstream().script('m2', { status: 422 }, { status: 400 });
    for (let i = 0; i < 4; i++) await router.completion({ model: 'g', messages: ask(`q${i}`) }).catch(() => undefined);
    expect(cooldowns).toEqual([]);
  });

  it('a group with every deployment cooling down goes straight to its fallbacks', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'g', 'gm-1'), deployment(upstream(), 'g', 'gm-2'), deployment(upstream(), 'backup', 'bm')],
      numRetries: 0,
      allowedFails: 0,
      cooldownTime: 60,
      fallbacks: [{ g: ['backup'] }],
    });
    upstream().script('gm-1', { status: 500 });
    upstream().script('gm-2', { status: 500 });
    // Each failure cools its deployment down (allowedFails 0), so two calls find both.
    await router.completion({ model: 'g', messages: ask('first') });
    await router.completion({ model: 'g', messages: ask('second') });
    expect(
      upstream()
        .calls.filter((c) => c.model !== 'bm')
        .map((c) => c.model)
        .sort(),
    ).toEqual(['gm-1', 'gm-2']);
    upstream().reset();
    const res = await router.completion({ model: 'g', messages: ask('3') });
    expect(res.choices[0]!.message.content).toContain('from bm');
    expect(upstream().calls.map((c) => c.model)).toEqual(['bm']);
  });

  it("a group's only deployment is never cooled down", async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'only', 'lonely')], numRetries: 0, allowedFails: 0 });
    const cooldowns: unknown[] = [];
    router.on('cooldown', (e) => cooldowns.push(e));
    upstream().script('lonely', { status: 500 }, { status: 500 }, { status: 503 });
    for (let i = 0; i < 3; i++)
      await expect(router.completion({ model: 'only', messages: ask(`f${i}`) })).rejects.toMatchObject({ status: expect.any(Number) });
    expect(cooldowns).toEqual([]);
    expect((await router.completion({ model: 'only', messages: ask('recovered') })).choices[0]!.message.content).toContain('lonely');
  });

  it('a dropped connection is retried like a 5xx', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'drop-model')], retryAfter: 0.01 });
    upstream().script('drop-model', { drop: true });
    expect((await router.completion({ model: 'a', messages: ask('dropped') })).choices[0]!.message.content).toContain('drop-model');
    expect(upstream().callCount()).toBe(2);
  });

  it('timeout: per call and per deployment, as a TimeoutError (408)', async () => {
    upstream().setLatency('slow', 1000);
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'slow', { timeout: 0.2 })], numRetries: 0 });
    const started = Date.now();
    const err = await router.completion({ model: 'a', messages: ask('slow') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ status: 408 });
    expect(Date.now() - started).toBeLessThan(900);
    const perCall = new Router({ modelList: [deployment(upstream(), 'a', 'slow')], numRetries: 0 });
    await expect(perCall.completion({ model: 'a', messages: ask('slow2'), timeout: 0.1 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('maxParallelRequests caps calls in flight to one deployment', async () => {
    upstream().setLatency('capped', 100);
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'capped', { maxParallelRequests: 2 })] });
    await Promise.all(Array.from({ length: 6 }, (_, i) => router.completion({ model: 'a', messages: ask(`cap ${i}`) })));
    expect(upstream().peakConcurrency('capped')).toBe(2);
  });
});

describe('fallbacks that cannot help', () => {
  it('a fallback group that cannot be used does not hide the error the provider gave', async () => {
    const router = new Router({
      modelList: [
        { ...deployment(upstream(), 'a', 'a-model'), params: { ...deployment(upstream(), 'a', 'a-model').params, apiKey: 'bad-key' } },
        deployment(upstream(), 'b', 'b-1', { rpm: 1 }),
      ],
      routingStrategy: 'usage-based-routing',
      numRetries: 0,
      fallbacks: [{ a: ['b'] }],
    });
    await router.completion({ model: 'b', messages: ask('use up b') });
    const err = await router.completion({ model: 'a', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
  });

  it('a context window error with no context-window fallback uses the ordinary fallbacks', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'small', 'small-model'), deployment(upstream(), 'large', 'large-model')],
      fallbacks: [{ small: ['large'] }],
    });
    upstream().script('small-model', { status: 400, message: "This model's maximum context length is 4096 tokens." });
    expect((await router.completion({ model: 'small', messages: ask('long') })).choices[0]!.message.content).toContain('large-model');
  });
});

describe('nothing waits longer than the caller allowed', () => {
  it('a call queued for a maxParallelRequests slot gives up at its own timeout', async () => {
    upstream().setLatency('one-slot', 3000);
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'one-slot', { maxParallelRequests: 1 })], numRetries: 0 });
    const holder = router.completion({ model: 'g', messages: ask('holds the slot') }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const err = await rejection(router.completion({ model: 'g', messages: ask('queued'), timeout: 0.5 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(upstream().callCount({ model: 'one-slot' })).toBe(1);
    await router.close();
    await holder;
  });

  it('an abort during a Retry-After wait rejects at once', async () => {
    upstream().script('patient-model', { status: 429, retryAfter: 20 });
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'patient-model')] });
    const controller = new AbortController();
    const retried = new Promise<void>((resolve) => router.on('retry', () => resolve()));
    const pending = rejection(router.completion({ model: 'g', messages: ask('wait'), signal: controller.signal }));
    await retried;
    const abortedAt = Date.now();
    controller.abort();
    const err = await pending;
    expect(Date.now() - abortedAt).toBeLessThan(500);
    expect((err as Error).name).toBe('AbortError');
  });

  it("a Retry-After longer than the call's timeout is not waited for", async () => {
    upstream().script('late-model', { status: 429, retryAfter: 20 });
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'late-model')] });
    const started = Date.now();
    expect(await rejection(router.completion({ model: 'g', messages: ask('wait'), timeout: 1 }))).toBeInstanceOf(RateLimitError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("a short timeout of the caller's own never cools a deployment down", async () => {
    upstream().setLatency('dep-a', 200);
    upstream().setLatency('dep-b', 200);
    const { router, cooldowns } = fragileRouter(upstream());
    for (let i = 0; i < 3; i++) {
      expect(await rejection(router.completion({ model: 'g', messages: ask(`hurry ${i}`), timeout: 0.02 }))).toBeInstanceOf(TimeoutError);
    }
    expect(cooldowns).toEqual([]);
    const ok = await router.completion({ model: 'g', messages: ask('patient') });
    expect(ok.choices[0]!.message.content).toContain('patient');
  });

  it('a request signal aborts the call, without retries', async () => {
    upstream().setLatency('slow-abort', 1500);
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'slow-abort')] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(router.completion({ model: 'g', messages: ask('abort me'), signal: controller.signal })).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(upstream().callCount()).toBe(1);
  });
});
