// Behaviours found missing in review, each pinned by a test that failed before its fix.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cache, MemoryBackend, type CacheBackendError } from '@llmcache/core';
import {
  AuthenticationError,
  BadRequestError,
  completion,
  Router,
  TimeoutError,
  assembleChunks,
} from '@llmcache/router';
import { ask, collect, deployment, fromJavaScript, useUpstream } from './helpers';

const upstream = useUpstream();

describe('fallback answers and the cache', () => {
  it('an answer from a fallback group is stored under that group, never under the group that failed', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'big', 'big-model'), deployment(upstream(), 'small', 'small-model')],
      numRetries: 0,
      fallbacks: [{ big: ['small'] }],
      cache: new Cache(),
    });
    upstream().script('big-model', { status: 503 });
    const during = await router.completion({ model: 'big', messages: ask('q') });
    expect(during.choices[0]!.message.content).toBe('Reply to "q" from small-model');
    expect(during._hiddenParams).toMatchObject({ modelGroup: 'small', model: 'small-model', cacheHit: false });
    const recovered = await router.completion({ model: 'big', messages: ask('q') });
    expect(recovered._hiddenParams.cacheHit).toBe(false);
    expect(recovered.choices[0]!.message.content).toBe('Reply to "q" from big-model');
    const small = await router.completion({ model: 'small', messages: ask('q') });
    expect(small._hiddenParams.cacheHit).toBe(true);
    expect(small.choices[0]!.message.content).toBe('Reply to "q" from small-model');
  });

  it('a fallback group that cannot be used does not hide the error the provider gave', async () => {
    const router = new Router({
      modelList: [{ ...deployment(upstream(), 'a', 'a-model'), params: { ...deployment(upstream(), 'a', 'a-model').params, apiKey: 'bad-key' } }, deployment(upstream(), 'b', 'b-1', { rpm: 1 })],
      routingStrategy: 'usage-based-routing',
      numRetries: 0,
      fallbacks: [{ a: ['b'] }],
    });
    await router.completion({ model: 'b', messages: ask('use up b') });
    const err = await router.completion({ model: 'a', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
  });

  it('a context window error with no context-window fallback uses the ordinary fallbacks', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'small', 'small-model'), deployment(upstream(), 'large', 'large-model')], fallbacks: [{ small: ['large'] }] });
    upstream().script('small-model', { status: 400, message: "This model's maximum context length is 4096 tokens." });
    expect((await router.completion({ model: 'small', messages: ask('long') })).choices[0]!.message.content).toContain('large-model');
  });
});

describe('latency-based routing and failures', () => {
  it('a deployment that only fails is not preferred as untried: calls go to the healthy one', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'g', 'broken'), deployment(upstream(), 'g', 'healthy')],
      routingStrategy: 'latency-based-routing',
      allowedFails: 1000,
      numRetries: 1,
      retryAfter: 0.01,
    });
    upstream().script('broken', ...Array.from({ length: 20 }, () => ({ status: 500 })));
    for (let i = 0; i < 8; i++) await router.completion({ model: 'g', messages: ask(`l${i}`) });
    expect(upstream().callCount({ model: 'broken' })).toBeLessThanOrEqual(1);
  });
});

describe('streams hold their deployment only while they live', () => {
  it('a stream nobody reads is aborted and releases its maxParallelRequests slot at the timeout', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'one-slot', { maxParallelRequests: 1 })], timeout: 0.3 });
    const abandoned = await router.completion({ model: 'g', messages: ask('never read past the first chunk'), stream: true });
    expect(abandoned._hiddenParams.cacheHit).toBe(false);
    const started = Date.now();
    const next = await router.completion({ model: 'g', messages: ask('next') });
    expect(next.choices[0]!.message.content).toContain('one-slot');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('the timeout bounds the gap between chunks, not the whole stream', async () => {
    // A server that streams one chunk every 150 ms for about 1.2 s.
    const server: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const timer = setInterval(() => {
        const chunk = { id: 's', object: 'chat.completion.chunk', created: 1, model: 'slow', choices: [{ index: 0, delta: { content: `w${n} ` }, finish_reason: n === 7 ? 'stop' : null }] };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        if (++n === 8) {
          clearInterval(timer);
          res.end('data: [DONE]\n\n');
        }
      }, 150);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const router = new Router({ modelList: [{ modelName: 'g', params: { model: 'openai/slow', apiBase } }], timeout: 0.5, numRetries: 0 });
      const chunks = await collect(await router.completion({ model: 'g', messages: ask('slow stream'), stream: true }));
      expect(assembleChunks(chunks).choices[0]!.message.content).toBe('w0 w1 w2 w3 w4 w5 w6 w7 ');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a stream cut mid-way counts toward cooldown like any failure', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'cut-a'), deployment(upstream(), 'g', 'cut-b')], allowedFails: 0, cooldownTime: 30 });
    const cooldowns: string[] = [];
    router.on('cooldown', (e) => cooldowns.push(e.deploymentId));
    upstream().script('cut-a', { cutStreamAfter: 2 });
    upstream().script('cut-b', { cutStreamAfter: 2 });
    await expect(collect(await router.completion({ model: 'g', messages: ask('cut one'), stream: true }))).rejects.toMatchObject({ name: 'APIConnectionError' });
    expect(cooldowns).toHaveLength(1);
  });
});

describe('what is sent and what is shared', () => {
  it('transport and control params never reach the body; headers and organization go as headers', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'plain', { organization: 'org-dep' })] });
    // max_retries is the openai client's option, which a JavaScript caller may send along.
    await router.completion(fromJavaScript({
      model: 'g',
      messages: ask('clean body'),
      extra_headers: { 'X-Trace': 'abc' },
      num_retries: 0,
      max_retries: 0,
      request_timeout: 5,
      metadata: { run: 1 },
      stream_options: { include_usage: true },
      temperature: 0.3,
    }));
    const call = upstream().calls[0]!;
    expect(Object.keys(call.body).sort()).toEqual(['messages', 'model', 'stream', 'temperature']);
    expect(call.headers['x-trace']).toBe('abc');
    expect(call.headers['openai-organization']).toBe('org-dep');
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

  it('callers with different timeouts do not share a failure', async () => {
    upstream().setLatency('shared-slow', 300);
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'shared-slow')], numRetries: 0, cache: new Cache() });
    const [impatient, patient] = await Promise.allSettled([
      router.completion({ model: 'g', messages: ask('same question'), timeout: 0.05 }),
      router.completion({ model: 'g', messages: ask('same question') }),
    ]);
    expect(impatient.status).toBe('rejected');
    expect((impatient as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
    expect(patient.status).toBe('fulfilled');
  });

  it('router.cacheKey() gives a transcription’s key, by its audio bytes', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'w', 'whisper-1')], cache: new Cache() });
    const audio = Buffer.from('some audio bytes');
    const res = await router.transcription({ model: 'w', file: audio });
    expect(router.cacheKey({ model: 'w', file: audio })).toBe(res._hiddenParams.cacheKey);
    expect(() => router.cacheKey({ model: 'w', file: new Blob([audio]) })).toThrow(BadRequestError);
  });

  it('a stream stored without include_usage still answers later calls with usage', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'usage-model')], cache: new Cache() });
    await collect(await router.completion({ model: 'g', messages: ask('usage please'), stream: true }));
    const hit = await router.completion({ model: 'g', messages: ask('usage please') });
    expect(hit._hiddenParams.cacheHit).toBe(true);
    expect(hit.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    const replayed = await collect(await router.completion({ model: 'g', messages: ask('usage please'), stream: true, stream_options: { include_usage: true } }));
    expect(replayed.at(-1)!.usage).toEqual(hit.usage);
  });
});

describe('stored values of the wrong shape', () => {
  it('are a miss and an error event, never a crash, for completions, streams and embeddings', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend });
    const errors: CacheBackendError[] = [];
    cache.on('error', (e) => errors.push(e));
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'shape'), deployment(upstream(), 'e', 'text-embedding-3-small')], cache });
    const chatKey = router.cacheKey({ model: 'g', messages: ask('shape') });
    const embedKey = router.cacheKey({ model: 'e', input: 'shape' });
    for (const d of [null, {}, 'text', { response: null }]) {
      await cache.set(chatKey, d);
      expect((await router.completion({ model: 'g', messages: ask('shape') })).choices[0]!.message.content).toContain('shape');
      await cache.set(chatKey, d);
      expect(assembleChunks(await collect(await router.completion({ model: 'g', messages: ask('shape'), stream: true }))).choices[0]!.message.content).toContain('shape');
      await cache.set(embedKey, d);
      const embedded = await router.embedding({ model: 'e', input: 'shape' });
      expect(embedded._hiddenParams.cacheHit).toBe(false);
      expect(Array.isArray(embedded.data[0]!.embedding)).toBe(true);
    }
    expect(errors.length).toBe(12);
    expect(errors.every((e) => e.operation === 'decode')).toBe(true);
  });
});

describe('top-level calls', () => {
  it('reject (never throw synchronously) with a BadRequestError naming the field', async () => {
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = completion({ model: 'mystery-model', messages: ask('x') });
    }).not.toThrow();
    const err = await pending!.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/model: cannot tell the provider/);
  });
});

describe('errors inside a stream', () => {
  /** Serves one fixed SSE body on every request. */
  async function sseServer(body: string): Promise<{ base: string; close: () => Promise<void> }> {
    const server: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { base, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  const chunk = JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'partial ' }, finish_reason: null }] });

  it('an OpenAI error event is typed by its code', async () => {
    const server = await sseServer(`data: ${chunk}\n\ndata: {"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}\n\n`);
    try {
      const router = new Router({ modelList: [{ modelName: 'g', params: { model: 'openai/m', apiBase: `${server.base}/v1` } }] });
      await expect(collect(await router.completion({ model: 'g', messages: ask('x'), stream: true }))).rejects.toMatchObject({ name: 'RateLimitError', status: 429 });
    } finally {
      await server.close();
    }
  });

  it('an Anthropic error event is typed by its type', async () => {
    const start = JSON.stringify({ type: 'message_start', message: { id: 'msg', model: 'claude', usage: { input_tokens: 1 } } });
    const delta = JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'partial' } });
    const error = JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const server = await sseServer(`event: message_start\ndata: ${start}\n\nevent: content_block_delta\ndata: ${delta}\n\nevent: error\ndata: ${error}\n\n`);
    try {
      const router = new Router({ modelList: [{ modelName: 'c', params: { model: 'anthropic/claude', apiBase: server.base } }] });
      await expect(collect(await router.completion({ model: 'c', messages: ask('x'), stream: true }))).rejects.toMatchObject({ name: 'InternalServerError', status: 529 });
    } finally {
      await server.close();
    }
  });
});
