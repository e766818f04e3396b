// Streams: a stream holds its deployment's slot only while someone reads it, its timeout bounds each wait
// for a chunk, and an error inside it is typed like any other.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cache } from '@llmcache/core';
import { assembleChunks, Router, TimeoutError } from '@llmcache/router';
import { ask, collect, deployment, fragileRouter, useUpstream } from './helpers';

const upstream = useUpstream();

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
        const chunk = {
          id: 's',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'slow',
          choices: [{ index: 0, delta: { content: `w${n} ` }, finish_reason: n === 7 ? 'stop' : null }],
        };
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
    await expect(collect(await router.completion({ model: 'g', messages: ask('cut one'), stream: true }))).rejects.toMatchObject({
      name: 'APIConnectionError',
    });
    expect(cooldowns).toHaveLength(1);
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
    const { router, cooldowns } = fragileRouter(upstream(), { cache: new Cache() });
    const stream = await router.completion({ model: 'g', messages: ask('read late'), stream: true, stream_timeout: 0.1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(collect(stream)).rejects.toBeInstanceOf(TimeoutError);
    expect(cooldowns).toEqual([]);
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
  const chunk = JSON.stringify({
    id: 'x',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content: 'partial ' }, finish_reason: null }],
  });

  it('an OpenAI error event is typed by its code', async () => {
    const server = await sseServer(`data: ${chunk}\n\ndata: {"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}\n\n`);
    try {
      const router = new Router({ modelList: [{ modelName: 'g', params: { model: 'openai/m', apiBase: `${server.base}/v1` } }] });
      await expect(collect(await router.completion({ model: 'g', messages: ask('x'), stream: true }))).rejects.toMatchObject({
        name: 'RateLimitError',
        status: 429,
      });
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
      await expect(collect(await router.completion({ model: 'c', messages: ask('x'), stream: true }))).rejects.toMatchObject({
        name: 'InternalServerError',
        status: 529,
      });
    } finally {
      await server.close();
    }
  });
});
