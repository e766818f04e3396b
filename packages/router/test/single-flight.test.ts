// Identical misses in flight at once share one upstream call, whatever their call type, stream or signal.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cache } from '@llmcache/core';
import { Router, TimeoutError } from '@llmcache/router';
import { ask, collect, deployment, useUpstream } from './helpers';

const upstream = useUpstream();

/** A server that answers chat completions after `latencyMs`, counting requests and those the client gave up on. */
async function countingServer(latencyMs: number): Promise<{ base: string; requests: () => number; abandoned: () => number; close: () => Promise<void> }> {
  let requests = 0;
  let abandoned = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    req.resume();
    const timer = setTimeout(() => {
      const body = {
        id: 'c',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'slow answer' }, finish_reason: 'stop' }],
      };
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
        ? router
            .completion({ model: 'g', messages: ask('mixed'), stream: true })
            .then(async (s) => (await collect(s)).map((c) => c.choices[0]?.delta.content ?? '').join(''))
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
});
