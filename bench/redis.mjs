// Redis cases of `npm run bench`, measured side by side in one run against a redis-server this file
// starts on a free 127.0.0.1 port (and stops): a hit through router.completion() against a raw ioredis
// GET of the same bytes, the same hit with the memory tier on against the memory-hit floor, LangChain.js's
// Redis cache doing the same hit, and 4 processes x 50 identical misses against one upstream.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { RedisCache as LangChainRedisCache } from '@langchain/redis';
import { Cache } from '@llmcache/core';
import { Router } from '@llmcache/router';
import { startUpstream } from '@llmcache/test-upstream';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { chatRequest, chatResponse } from './fixtures.mjs';
import { compare, memoryHitFloor, ratioOf, us } from './harness.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function answersPing(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/** A throwaway redis-server from the PATH; resolves once it answers PING. */
export async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'llmcache-bench-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  child.once('error', () => undefined); // a missing binary shows as the exit code below
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error('bench: redis-server did not start; install it with apt-get install -y redis-server');
    }
    await sleep(20);
  }
  return {
    port,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const content = chatResponse.choices[0].message.content;
const mockList = [{ modelName: 'gpt-3.5', params: { model: 'openai/gpt-3.5-turbo', mockResponse: content } }];

/** Routers in 4 processes, 50 identical calls each at once, on one Redis and one slow upstream: upstream calls made. */
async function singleFlightAcrossProcesses(port) {
  const upstream = await startUpstream();
  upstream.setLatency('gpt-4o', 300);
  const worker = fileURLToPath(new URL('./redis-worker.mjs', import.meta.url));
  const config = JSON.stringify({ port, apiBase: upstream.openaiBase, namespace: `bench-${Date.now()}` });
  const children = Array.from({ length: 4 }, () => spawn(process.execPath, [worker, config], { stdio: ['pipe', 'pipe', 'inherit'] }));
  // Each worker says "ready", then waits for "go", so that all four miss at the same moment.
  await Promise.all(children.map((c) => new Promise((resolve) => c.stdout.once('data', resolve))));
  const done = children.map(
    (c) => new Promise((resolve, reject) => c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench worker exited with ${code}`))))),
  );
  for (const c of children) c.stdin.end('go\n');
  await Promise.all(done);
  const calls = upstream.callCount({ model: 'gpt-4o' });
  await upstream.close();
  return calls;
}

export async function redisBench() {
  const redis = await startRedis();
  const { port } = redis;
  const closers = [];
  try {
    // A hit through router.completion() with the memory tier off: every hit is a Redis round trip.
    const remoteCache = new Cache({ type: 'redis', port, memoryTier: false, prefix: 'bench-remote' });
    const remoteRouter = new Router({ modelList: mockList, cache: remoteCache });
    closers.push(() => remoteCache.close());
    await remoteRouter.completion(chatRequest);
    const routerRemote = async () => {
      const res = await remoteRouter.completion(chatRequest);
      if (!res._hiddenParams.cacheHit) throw new Error('bench: expected a Redis hit');
    };

    // A raw ioredis GET of the same stored bytes, on a client of its own.
    const raw = new Redis({ port });
    closers.push(() => raw.quit());
    const storedKey = `bench-remote:${remoteRouter.cacheKey(chatRequest)}`;
    const storedBytes = await raw.get(storedKey);
    if (!storedBytes) throw new Error('bench: the router did not store its answer where expected');
    const rawGet = async () => {
      if ((await raw.get(storedKey)) === null) throw new Error('bench: expected a raw hit');
    };

    // The same hit with the (coherent) memory tier on, and the memory-hit floor of bench/run.mjs.
    const tieredCache = new Cache({ type: 'redis', port, prefix: 'bench-tiered' });
    const tieredRouter = new Router({ modelList: mockList, cache: tieredCache });
    closers.push(() => tieredCache.close());
    await sleep(100); // the invalidation subscription is up
    await tieredRouter.completion(chatRequest);
    await tieredRouter.completion(chatRequest);
    const routerTiered = async () => {
      const res = await tieredRouter.completion(chatRequest);
      if (!res._hiddenParams.cacheHit) throw new Error('bench: expected a memory-tier hit');
    };
    const floor = memoryHitFloor(chatRequest, chatResponse);

    // LangChain.js: a chat model with @langchain/redis's RedisCache (node-redis), the same conversation.
    const lcClient = createClient({ url: `redis://127.0.0.1:${port}` });
    await lcClient.connect();
    closers.push(() => lcClient.quit());
    const lcModel = new FakeListChatModel({ responses: [content], cache: new LangChainRedisCache(lcClient) });
    const lcMessages = chatRequest.messages.map((m) => [m.role === 'user' ? 'human' : m.role, m.content]);
    // Without call options, as in bench/run.mjs: with them LangChain also serialises those.
    await lcModel.invoke(lcMessages);
    const langchainHit = () => lcModel.invoke(lcMessages);

    // 256 different conversations at once, each already stored: distinct keys, so that neither side can
    // answer many reads with one (as a batch of one repeated key would let it).
    const distinct = Array.from({ length: 256 }, (_, i) => ({ ...chatRequest, user: `bench-user-${i}` }));
    for (const request of distinct) await remoteRouter.completion(request);
    const distinctKeys = distinct.map((request) => `bench-remote:${remoteRouter.cacheKey(request)}`);
    const rawGet256 = () =>
      Promise.all(
        distinctKeys.map(async (key) => {
          if ((await raw.get(key)) === null) throw new Error('bench: expected a raw hit');
        }),
      );
    const routerRemote256 = () =>
      Promise.all(
        distinct.map(async (request) => {
          if (!(await remoteRouter.completion(request))._hiddenParams.cacheHit) throw new Error('bench: expected a Redis hit');
        }),
      );

    const one = await compare({ rawGet, routerRemote, routerTiered, floor, langchainHit });
    const many = await compare({ rawGet256, routerRemote256 }, { rounds: 15, roundMs: 100 });

    const latencyRatio = ratioOf(one.routerRemote, one.rawGet);
    const throughputRatio = Math.round((1 / ratioOf(many.routerRemote256, many.rawGet256)) * 100) / 100;
    const tieredRatio = ratioOf(one.routerTiered, one.floor);
    const langchainOverOurs = ratioOf(one.langchainHit, one.routerRemote);
    const upstreamCalls = await singleFlightAcrossProcesses(port);
    const perSecond = (ns) => Math.round(256 / (ns / 1e9));

    return [
      { case: 'raw ioredis GET of the stored entry (c=1)', 'µs/op': us(one.rawGet.medianNs), 'ratio to floor': '', target: '', result: '' },
      {
        case: 'Redis hit through router.completion(), memory tier off (c=1)',
        'µs/op': us(one.routerRemote.medianNs),
        'ratio to floor': '',
        target: `≤ 1.25× raw GET (is ${latencyRatio}×)`,
        result: latencyRatio <= 1.25 ? 'ok' : 'MISSED',
      },
      {
        case: '256 different hits at once: hits/s (raw GET hits/s)',
        'µs/op': `${perSecond(many.routerRemote256.medianNs)} (${perSecond(many.rawGet256.medianNs)})`,
        'ratio to floor': '',
        target: `≥ 0.8× raw throughput (is ${throughputRatio}×)`,
        result: throughputRatio >= 0.8 ? 'ok' : 'MISSED',
      },
      {
        case: 'Redis hit through router.completion(), memory tier on',
        'µs/op': us(one.routerTiered.medianNs),
        'ratio to floor': tieredRatio,
        target: '≤ 2× memory-hit floor',
        result: tieredRatio <= 2 ? 'ok' : 'MISSED',
      },
      {
        case: 'LangChain.js hit (@langchain/redis RedisCache, fake chat model)',
        'µs/op': us(one.langchainHit.medianNs),
        'ratio to floor': ratioOf(one.langchainHit, one.floor),
        target: `ours faster, memory tier off (is ${langchainOverOurs}×)`,
        result: langchainOverOurs > 1 ? 'ok' : 'MISSED',
      },
      {
        case: '4 processes × 50 identical misses: upstream calls',
        'µs/op': upstreamCalls,
        'ratio to floor': '',
        target: '1',
        result: upstreamCalls === 1 ? 'ok' : 'MISSED',
      },
    ];
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await redis.stop();
  }
}

// Run on its own: node bench/redis.mjs
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { report } = await import('./harness.mjs');
  report('llmcache Redis bench', await redisBench());
}
