// What a hostile probe broke: a client's bad input must never hurt other clients, and nothing waits
// longer than the caller allowed. Each test failed before its fix.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cache } from '@llmcache/core';
import { BadRequestError, RateLimitError, Router, TimeoutError } from '@llmcache/router';
import { exitWithin, nodeProcess } from '@llmcache/test-suite';
import { ask, collect, deployment, fromJavaScript, useUpstream } from './helpers';

const upstream = useUpstream();

/** A group of two deployments that cools a deployment down at its first failure, and records cooldowns. */
function fragileRouter(extra: Record<string, unknown> = {}) {
  const router = new Router({
    modelList: [deployment(upstream(), 'g', 'dep-a'), deployment(upstream(), 'g', 'dep-b')],
    allowedFails: 0,
    cooldownTime: 60,
    retryAfter: 0.01,
    ...extra,
  });
  const cooldowns: string[] = [];
  router.on('cooldown', (e) => cooldowns.push(e.deploymentId));
  return { router, cooldowns };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (err: unknown) => err,
  );
}

describe('a bad per-request option is a 400 naming it, checked before any attempt', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['timeout NaN', { timeout: Number.NaN }, /timeout: .*got NaN/],
    ['timeout 0', { timeout: 0 }, /timeout:/],
    ['timeout -1', { timeout: -1 }, /timeout:/],
    ['timeout past the timer limit', { timeout: 3e6 }, /timeout:/],
    ['timeout as a string', { timeout: '5' }, /timeout:/],
    ['stream_timeout NaN', { stream_timeout: Number.NaN }, /stream_timeout:/],
    ['numRetries 1.5', { numRetries: 1.5 }, /numRetries:/],
    ['numRetries huge', { numRetries: 1e9 }, /numRetries:/],
    ['num_retries -1', { num_retries: -1 }, /num_retries:/],
    ['a header value with CR LF', { extra_headers: { 'x-a': 'ok\r\nx-injected: 1' } }, /extra_headers: header "x-a" has a value an HTTP header cannot carry/],
    ['a header name with a space', { extra_headers: { 'bad name': 'v' } }, /extra_headers: header name "bad name" is not an HTTP token/],
    ['headers that are not an object', { headers: 'x-a: 1' }, /headers:/],
    ['an organization with a newline', { organization: 'org\n1' }, /organization:/],
    ['a signal that is not an AbortSignal', { signal: { aborted: false } }, /signal:/],
    ['stream that is not a boolean', { stream: 'yes' }, /stream:/],
    ['mockResponse that is not a string', { mockResponse: 42 }, /mockResponse:/],
    ['a cache control out of range, with no cache to read', { cache: { ttl: -1 } }, /cache\.ttl:/],
    ['an unknown cache control', { cache: { tll: 5 } }, /cache\.tll: is not a cache control/],
  ];

  it.each(cases)('%s', async (_name, bad, message) => {
    const { router, cooldowns } = fragileRouter();
    for (let i = 0; i < 3; i++) {
      const err = await rejection(router.completion({ model: 'g', messages: ask(`bad ${i}`), ...bad }));
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).status).toBe(400);
      expect((err as Error).message).toMatch(message);
    }
    expect(upstream().callCount()).toBe(0);
    expect(cooldowns).toEqual([]);
    // The next client is served as if nothing had happened.
    const ok = await router.completion({ model: 'g', messages: ask('valid') });
    expect(ok.choices[0]!.message.content).toContain('valid');
  });

  it('a short timeout of the caller\'s own never cools a deployment down', async () => {
    upstream().setLatency('dep-a', 200);
    upstream().setLatency('dep-b', 200);
    const { router, cooldowns } = fragileRouter();
    for (let i = 0; i < 3; i++) {
      expect(await rejection(router.completion({ model: 'g', messages: ask(`hurry ${i}`), timeout: 0.02 }))).toBeInstanceOf(TimeoutError);
    }
    expect(cooldowns).toEqual([]);
    const ok = await router.completion({ model: 'g', messages: ask('patient') });
    expect(ok.choices[0]!.message.content).toContain('patient');
  });
});

describe('params that cannot become JSON are a 400 naming the param', () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  for (const withCache of [false, true]) {
    it(`a circular object and a BigInt, ${withCache ? 'with' : 'without'} a cache`, async () => {
      const router = new Router({ modelList: [deployment(upstream(), 'g', 'json-model')], ...(withCache ? { cache: new Cache() } : {}) });
      const cycle = await rejection(router.completion(fromJavaScript({ model: 'g', messages: ask('x'), tool_context: circular })));
      expect(cycle).toBeInstanceOf(BadRequestError);
      expect((cycle as Error).message).toMatch(/tool_context: cannot be sent as JSON/);
      const big = await rejection(router.completion(fromJavaScript({ model: 'g', messages: ask('x'), seed: 10n })));
      expect(big).toBeInstanceOf(BadRequestError);
      expect((big as Error).message).toMatch(/seed: cannot be sent as JSON/);
      expect(upstream().callCount()).toBe(0);
    });
  }
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

  it('a Retry-After longer than the call\'s timeout is not waited for', async () => {
    upstream().script('late-model', { status: 429, retryAfter: 20 });
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'late-model')] });
    const started = Date.now();
    expect(await rejection(router.completion({ model: 'g', messages: ask('wait'), timeout: 1 }))).toBeInstanceOf(RateLimitError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('streams that are not read', () => {
  it('return() before the first chunk releases the slot at once and stores nothing', async () => {
    const cache = new Cache();
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'slot-model', { maxParallelRequests: 1 })], timeout: 30, cache });
    const stream = await router.completion({ model: 'g', messages: ask('closed early'), stream: true });
    await stream[Symbol.asyncIterator]().return!();
    const started = Date.now();
    const next = await router.completion({ model: 'g', messages: ask('next in line') });
    expect(next.choices[0]!.message.content).toContain('next in line');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(cache.stats().writes).toBe(1); // only the second call's answer
    const again = await router.completion({ model: 'g', messages: ask('closed early') });
    expect(again._hiddenParams.cacheHit).toBe(false);
  });

  it('a stream never read releases its slot within the stream timeout, not the call timeout, and is never stored', async () => {
    const cache = new Cache();
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'idle-model', { maxParallelRequests: 1 })], timeout: 30, cache });
    await router.completion({ model: 'g', messages: ask('never read'), stream: true, stream_timeout: 0.3 });
    const started = Date.now();
    const next = await router.completion({ model: 'g', messages: ask('after the idle one') });
    expect(next.choices[0]!.message.content).toContain('after the idle one');
    expect(Date.now() - started).toBeLessThan(2000);
    const again = await router.completion({ model: 'g', messages: ask('never read') });
    expect(again._hiddenParams.cacheHit).toBe(false);
  });

  it('a stream read after its timeout ran out fails without counting against the deployment', async () => {
    const { router, cooldowns } = fragileRouter({ cache: new Cache() });
    const stream = await router.completion({ model: 'g', messages: ask('read late'), stream: true, stream_timeout: 0.1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(collect(stream)).rejects.toBeInstanceOf(TimeoutError);
    expect(cooldowns).toEqual([]);
  });
});

/** A server that answers chat completions after `latencyMs`, counting requests and those the client gave up on. */
async function countingServer(latencyMs: number): Promise<{ base: string; requests: () => number; abandoned: () => number; close: () => Promise<void> }> {
  let requests = 0;
  let abandoned = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    req.resume();
    const timer = setTimeout(() => {
      const body = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'slow answer' }, finish_reason: 'stop' }] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }, latencyMs);
    res.on('close', () => {
      if (!res.writableFinished) abandoned++;
      clearTimeout(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    base,
    requests: () => requests,
    abandoned: () => abandoned,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('identical misses share one upstream call, for every call type', () => {
  it('200 identical stream misses make one call, and every caller gets the whole answer', async () => {
    upstream().setLatency('stream-model', 100);
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'stream-model')], cache: new Cache() });
    const streams = await Promise.all(Array.from({ length: 200 }, () => router.completion({ model: 'g', messages: ask('same stream'), stream: true })));
    const texts = await Promise.all(streams.map(async (s) => (await collect(s)).map((c) => c.choices[0]?.delta.content ?? '').join('')));
    expect(upstream().callCount({ model: 'stream-model' })).toBe(1);
    expect(new Set(texts)).toEqual(new Set(['Reply to "same stream" from stream-model']));
    expect(streams.filter((s) => s._hiddenParams.sharedFlight).length).toBe(199);
  });

  it('100 stream and 100 non-stream identical misses make one call', async () => {
    upstream().setLatency('mixed-model', 100);
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'mixed-model')], cache: new Cache() });
    const calls = Array.from({ length: 200 }, (_, i) =>
      i % 2 === 0
        ? router.completion({ model: 'g', messages: ask('mixed'), stream: true }).then(async (s) => (await collect(s)).map((c) => c.choices[0]?.delta.content ?? '').join(''))
        : router.completion({ model: 'g', messages: ask('mixed') }).then((r) => r.choices[0]!.message.content),
    );
    const texts = await Promise.all(calls);
    expect(upstream().callCount({ model: 'mixed-model' })).toBe(1);
    expect(new Set(texts)).toEqual(new Set(['Reply to "mixed" from mixed-model']));
  });

  it('a stream whose caller went away is still read to its end for the others, then stored', async () => {
    upstream().setLatency('left-model', 50);
    const cache = new Cache();
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'left-model')], cache });
    const [leaver, stayer] = await Promise.all([
      router.completion({ model: 'g', messages: ask('one leaves'), stream: true }),
      router.completion({ model: 'g', messages: ask('one leaves'), stream: true }),
    ]);
    await leaver[Symbol.asyncIterator]().return!();
    expect((await collect(stayer)).length).toBeGreaterThan(2);
    expect((await router.completion({ model: 'g', messages: ask('one leaves') }))._hiddenParams.cacheHit).toBe(true);
    expect(upstream().callCount({ model: 'left-model' })).toBe(1);
  });

  it('200 identical embedding misses make one call; a partial miss asks only for what nobody is asking', async () => {
    upstream().setLatency('text-embedding-3-small', 100);
    const router = new Router({ modelList: [deployment(upstream(), 'e', 'text-embedding-3-small')], cache: new Cache() });
    const results = await Promise.all(Array.from({ length: 200 }, () => router.embedding({ model: 'e', input: 'same text' })));
    expect(upstream().callCount({ model: 'text-embedding-3-small' })).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r.data[0]!.embedding))).size).toBe(1);

    upstream().reset();
    upstream().setLatency('text-embedding-3-small', 100);
    const [ab, bc] = await Promise.all([router.embedding({ model: 'e', input: ['a', 'b'] }), router.embedding({ model: 'e', input: ['b', 'c'] })]);
    const inputsSent = upstream().calls.flatMap((c) => c.body.input as string[]);
    expect(inputsSent.sort()).toEqual(['a', 'b', 'c']);
    expect(ab.data[1]!.embedding).toEqual(bc.data[0]!.embedding);
  });

  it('callers with a signal share too; an aborting caller leaves at once while the others get the answer', async () => {
    const server = await countingServer(400);
    try {
      const router = new Router({ modelList: [{ modelName: 'g', params: { model: 'openai/m', apiBase: server.base } }], cache: new Cache() });
      const controllers = Array.from({ length: 5 }, () => new AbortController());
      const calls = controllers.map((c) => router.completion({ model: 'g', messages: ask('signalled'), signal: c.signal }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const abortedAt = Date.now();
      controllers[0]!.abort();
      await expect(calls[0]).rejects.toMatchObject({ name: 'AbortError' });
      expect(Date.now() - abortedAt).toBeLessThan(100);
      const rest = await Promise.all(calls.slice(1));
      expect(rest.every((r) => r.choices[0]!.message.content === 'slow answer')).toBe(true);
      expect(server.requests()).toBe(1);
      expect(server.abandoned()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('the shared upstream call is aborted once every caller has left', async () => {
    const server = await countingServer(1000);
    try {
      const router = new Router({ modelList: [{ modelName: 'g', params: { model: 'openai/m', apiBase: server.base } }], cache: new Cache() });
      const controllers = Array.from({ length: 3 }, () => new AbortController());
      const calls = controllers.map((c) => router.completion({ model: 'g', messages: ask('all leave'), signal: c.signal }).catch((e: unknown) => e));
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const c of controllers) c.abort();
      await Promise.all(calls);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.requests()).toBe(1);
      expect(server.abandoned()).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('short embedding answers', () => {
  it('an answer with fewer vectors than inputs is retried as a server error', async () => {
    const short = { object: 'list', model: 'text-embedding-3-small', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], usage: { prompt_tokens: 1, total_tokens: 1 } };
    upstream().script('text-embedding-3-small', { body: short });
    const router = new Router({ modelList: [deployment(upstream(), 'e', 'text-embedding-3-small')], retryAfter: 0.01, cache: new Cache() });
    const res = await router.embedding({ model: 'e', input: ['one', 'two'] });
    expect(res.data).toHaveLength(2);
    expect(upstream().callCount({ model: 'text-embedding-3-small' })).toBe(2);
  });
});

describe('router.close()', () => {
  it('releases every slot, timer and socket, so the process exits by itself', async () => {
    upstream().setLatency('held-model', 20_000);
    upstream().script('sleepy-model', { status: 429, retryAfter: 20 });
    const script = `
      const { Router } = require('@llmcache/router');
      const { Cache } = require('@llmcache/core');
      const base = ${JSON.stringify(upstream().openaiBase)};
      const router = new Router({
        modelList: [
          { modelName: 'held', params: { model: 'openai/held-model', apiBase: base, maxParallelRequests: 1 } },
          { modelName: 'streamed', params: { model: 'openai/streamed-model', apiBase: base } },
          { modelName: 'sleepy', params: { model: 'openai/sleepy-model', apiBase: base } },
        ],
        cache: new Cache(),
      });
      const ask = (model, content, extra) => router.completion({ model, messages: [{ role: 'user', content }], ...extra });
      const pending = [ask('held', 'in flight'), ask('held', 'queued for the slot'), ask('sleepy', 'sleeps before its retry')];
      const settled = Promise.allSettled(pending).then((all) => all.filter((r) => r.status === 'rejected').length);
      (async () => {
        await ask('streamed', 'held unread', { stream: true });
        await new Promise((resolve) => setTimeout(resolve, 300));
        await router.close();
        console.log('rejected ' + (await settled));
        console.log('closed ' + Date.now());
      })();
    `;
    const { code, stdout: out, at: exitedAt } = await exitWithin(nodeProcess(script), 10_000);
    expect(out).toContain('rejected 3');
    expect(code).toBe(0);
    const closedAt = Number(/closed (\d+)/.exec(out)![1]);
    expect(exitedAt - closedAt).toBeLessThan(2000);
  });

  it('calls after close() throw, and the router\'s own cache is closed', async () => {
    const cache = new Cache();
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'close-model')], cache });
    await router.completion({ model: 'g', messages: ask('before') });
    await router.close();
    await expect(router.completion({ model: 'g', messages: ask('after') })).rejects.toThrow(/close\(\)/);
    expect((cache.backend as unknown as { size: number }).size).toBe(0);
  });
});
