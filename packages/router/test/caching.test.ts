import { Cache, MemoryBackend, type CacheBackend, type CacheBackendError } from '@llmcache/core';
import { execFileSync } from 'node:child_process';
import { assembleChunks, deploymentId, disableCache, Router, RouterConfigError, setCache, type ChatCompletionChunk, type FunctionTool } from '@llmcache/router';
import { ask, collect, deployment, fromJavaScript, useUpstream } from './helpers';

const upstream = useUpstream();

function twoGroupRouter(cache: Cache = new Cache()) {
  return new Router({
    modelList: [deployment(upstream(), 'gpt-3.5', 'gpt-3.5-turbo'), deployment(upstream(), 'gpt-4', 'gpt-4'), deployment(upstream(), 'solo', 'solo-model')],
    cachingGroups: [['gpt-4', 'gpt-3.5']],
    cache,
  });
}

describe('caching through the router', () => {
  it('a repeated call is a hit: no second upstream call, same answer, marked in _hiddenParams', async () => {
    const router = twoGroupRouter();
    const first = await router.completion({ model: 'gpt-3.5', messages: ask('hello') });
    const second = await router.completion({ model: 'gpt-3.5', messages: ask('hello') });
    expect(upstream().callCount({ path: '/v1/chat/completions' })).toBe(1);
    expect(first._hiddenParams.cacheHit).toBe(false);
    expect(second._hiddenParams.cacheHit).toBe(true);
    expect(second.choices[0]!.message.content).toBe('Reply to "hello" from gpt-3.5-turbo');
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(second._hiddenParams.cacheKey).toBe(first._hiddenParams.cacheKey);
    expect(second._hiddenParams.deploymentId).toBe(first._hiddenParams.deploymentId);
    expect(second._hiddenParams.modelGroup).toBe('gpt-3.5');
  });

  it('_hiddenParams is not enumerable: JSON.stringify gives the plain OpenAI object', async () => {
    const res = await twoGroupRouter().completion({ model: 'gpt-3.5', messages: ask('plain') });
    const plain = JSON.parse(JSON.stringify(res));
    expect(plain._hiddenParams).toBeUndefined();
    expect(Object.keys(res)).not.toContain('_hiddenParams');
    expect(plain.object).toBe('chat.completion');
  });

  it('model groups in one caching group share entries, both ways', async () => {
    const router = twoGroupRouter();
    await router.completion({ model: 'gpt-3.5', messages: ask('shared a') });
    const fromOther = await router.completion({ model: 'gpt-4', messages: ask('shared a') });
    expect(fromOther._hiddenParams.cacheHit).toBe(true);
    expect(fromOther.choices[0]!.message.content).toBe('Reply to "shared a" from gpt-3.5-turbo');
    await router.completion({ model: 'gpt-4', messages: ask('shared b') });
    const back = await router.completion({ model: 'gpt-3.5', messages: ask('shared b') });
    expect(back._hiddenParams.cacheHit).toBe(true);
    expect(back.choices[0]!.message.content).toBe('Reply to "shared b" from gpt-4');
    expect(upstream().callCount()).toBe(2);
  });

  it('a group outside the caching group never shares entries', async () => {
    const router = twoGroupRouter();
    await router.completion({ model: 'gpt-3.5', messages: ask('apart') });
    const solo = await router.completion({ model: 'solo', messages: ask('apart') });
    expect(solo._hiddenParams.cacheHit).toBe(false);
    expect(router.cacheKey({ model: 'solo', messages: ask('apart') })).not.toBe(router.cacheKey({ model: 'gpt-3.5', messages: ask('apart') }));
  });

  it('the caching group key does not depend on the order the group was declared in', () => {
    const a = twoGroupRouter();
    const b = new Router({
      modelList: [deployment(upstream(), 'gpt-4', 'gpt-4'), deployment(upstream(), 'gpt-3.5', 'gpt-3.5-turbo')],
      cachingGroups: [['gpt-3.5', 'gpt-4']],
    });
    const request = { model: 'gpt-4', messages: ask('order') };
    expect(a.cacheKey(request)).toBe(b.cacheKey(request));
  });

  it('request key order never changes the key, and router.cacheKey is the key the call used', async () => {
    const router = twoGroupRouter();
    const first = await router.completion({
      model: 'gpt-3.5',
      temperature: 0,
      messages: [{ role: 'user', content: 'ordered' }],
      response_format: { type: 'text' },
    });
    const reordered = {
      response_format: { type: 'text' as const },
      messages: [{ content: 'ordered', role: 'user' as const }],
      temperature: 0,
      model: 'gpt-3.5',
    };
    const second = await router.completion(reordered);
    expect(second._hiddenParams.cacheHit).toBe(true);
    expect(router.cacheKey(reordered)).toBe(first._hiddenParams.cacheKey);
  });

  it('unknown params go to the provider unchanged and are part of the key', async () => {
    const router = twoGroupRouter();
    await router.completion(fromJavaScript({ model: 'gpt-3.5', messages: ask('p'), top_k: 3, num_ctx: 512 }));
    expect(upstream().calls[0]!.body).toMatchObject({ top_k: 3, num_ctx: 512, model: 'gpt-3.5-turbo' });
    const other = await router.completion(fromJavaScript({ model: 'gpt-3.5', messages: ask('p'), top_k: 4, num_ctx: 512 }));
    expect(other._hiddenParams.cacheHit).toBe(false);
  });

  it('different users never receive each other’s answers', async () => {
    const router = twoGroupRouter();
    await router.completion({ model: 'gpt-3.5', messages: ask('mine'), user: 'alice' });
    const bob = await router.completion({ model: 'gpt-3.5', messages: ask('mine'), user: 'bob' });
    expect(bob._hiddenParams.cacheHit).toBe(false);
  });

  it('100 concurrent identical misses make one upstream call', async () => {
    upstream().setLatency('gpt-3.5-turbo', 200);
    const router = twoGroupRouter();
    const results = await Promise.all(Array.from({ length: 100 }, () => router.completion({ model: 'gpt-3.5', messages: ask('stampede') })));
    expect(upstream().callCount()).toBe(1);
    expect(new Set(results.map((r) => r.choices[0]!.message.content)).size).toBe(1);
    // Each caller gets its own object.
    results[0]!.choices[0]!.message.content = 'mutated';
    expect(results[1]!.choices[0]!.message.content).toBe('Reply to "stampede" from gpt-3.5-turbo');
  });

  it('per-request controls reach the cache: ttl 0 and no-store do not store, no-cache refreshes', async () => {
    const router = twoGroupRouter();
    await router.completion({ model: 'gpt-3.5', messages: ask('c1'), cache: { ttl: 0 } });
    await router.completion({ model: 'gpt-3.5', messages: ask('c1'), cache: { 'no-store': true } });
    expect(upstream().callCount()).toBe(2);
    await router.completion({ model: 'gpt-3.5', messages: ask('c1') });
    const refreshed = await router.completion({ model: 'gpt-3.5', messages: ask('c1'), cache: { 'no-cache': true } });
    expect(refreshed._hiddenParams.cacheHit).toBe(false);
    expect(upstream().callCount()).toBe(4);
    const ns = await router.completion({ model: 'gpt-3.5', messages: ask('c1'), cache: { namespace: 'other' } });
    expect(ns._hiddenParams.cacheHit).toBe(false);
    expect(ns._hiddenParams.cacheKey).toMatch(/^other:[0-9a-f]{64}$/);
  });

  it('a bad cache control is a typed error naming the field', async () => {
    await expect(twoGroupRouter().completion({ model: 'gpt-3.5', messages: ask('x'), cache: { ttl: -1 } })).rejects.toThrow(/cache\.ttl/);
  });

  it('errors and empty answers are never stored', async () => {
    const router = twoGroupRouter();
    upstream().script('gpt-3.5-turbo', { status: 400, message: 'bad request' });
    await expect(router.completion({ model: 'gpt-3.5', messages: ask('err') })).rejects.toMatchObject({ status: 400 });
    upstream().setReply('gpt-3.5-turbo', '');
    await router.completion({ model: 'gpt-3.5', messages: ask('empty') });
    const again = await router.completion({ model: 'gpt-3.5', messages: ask('empty') });
    expect(again._hiddenParams.cacheHit).toBe(false);
    expect(upstream().callCount()).toBe(3);
  });

  it('a failing cache never fails a call: it becomes a miss and an error event', async () => {
    const broken: CacheBackend = {
      name: 'broken',
      get: () => Promise.reject(new Error('ECONNREFUSED')),
      set: () => Promise.reject(new Error('ECONNREFUSED')),
      delete: () => Promise.reject(new Error('ECONNREFUSED')),
    };
    const cache = new Cache({ backend: broken });
    const errors: Error[] = [];
    cache.on('error', (e) => errors.push(e));
    const router = twoGroupRouter(cache);
    const res = await router.completion({ model: 'gpt-3.5', messages: ask('resilient') });
    expect(res.choices[0]!.message.content).toBe('Reply to "resilient" from gpt-3.5-turbo');
    expect(res._hiddenParams.cacheHit).toBe(false);
    expect(errors.map((e) => e.name)).toEqual(['CacheBackendError', 'CacheBackendError']);
  });

  it('a hanging cache never holds a call for longer than the operation timeout', async () => {
    const hanging: CacheBackend = { name: 'hanging', get: () => new Promise(() => {}), set: () => new Promise(() => {}), delete: () => {} };
    const router = twoGroupRouter(new Cache({ backend: hanging, operationTimeoutMs: 100 }));
    const started = Date.now();
    const res = await router.completion({ model: 'gpt-3.5', messages: ask('slow cache') });
    expect(res._hiddenParams.cacheHit).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a router built without cache uses what setCache() holds at call time', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'global-model')] });
    try {
      await router.completion({ model: 'g', messages: ask('global') });
      setCache(new Cache());
      await router.completion({ model: 'g', messages: ask('global') });
      const hit = await router.completion({ model: 'g', messages: ask('global') });
      expect(hit._hiddenParams.cacheHit).toBe(true);
      disableCache();
      const off = await router.completion({ model: 'g', messages: ask('global') });
      expect(off._hiddenParams.cacheHit).toBe(false);
      expect(upstream().callCount()).toBe(3);
    } finally {
      disableCache();
    }
  });

  it('success events carry cacheHit for misses and hits', async () => {
    const router = twoGroupRouter();
    const events: Array<{ cacheHit: boolean; modelGroup: string; deploymentId?: string; usage?: unknown }> = [];
    router.on('success', (e) => events.push(e));
    await router.completion({ model: 'gpt-3.5', messages: ask('ev') });
    await router.completion({ model: 'gpt-4', messages: ask('ev') });
    expect(events.map((e) => [e.modelGroup, e.cacheHit])).toEqual([
      ['gpt-3.5', false],
      ['gpt-4', true],
    ]);
    expect(events[1]!.deploymentId).toBe(events[0]!.deploymentId);
    expect(events[0]!.usage).toMatchObject({ total_tokens: expect.any(Number) });
  });
});

describe('streaming and the cache', () => {
  it('a streamed miss passes chunks through and is stored once complete; a hit replays several chunks', async () => {
    const router = twoGroupRouter();
    const stream = await router.completion({ model: 'gpt-3.5', messages: ask('stream me please now'), stream: true });
    expect(stream._hiddenParams.cacheHit).toBe(false);
    const live = await collect(stream);
    expect(live.length).toBeGreaterThan(3);
    const replayed = await router.completion({ model: 'gpt-3.5', messages: ask('stream me please now'), stream: true });
    expect(replayed._hiddenParams.cacheHit).toBe(true);
    const chunks = await collect(replayed);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    const a = assembleChunks(live);
    const b = assembleChunks(chunks);
    expect(b.choices).toEqual(a.choices);
    expect(b.choices[0]!.message.content).toBe('Reply to "stream me please now" from gpt-3.5-turbo');
    expect(upstream().callCount()).toBe(1);
  });

  it('a stream request is served from a non-stream entry and the other way round', async () => {
    const router = twoGroupRouter();
    const plain = await router.completion({ model: 'gpt-3.5', messages: ask('both ways') });
    const streamed = await router.completion({ model: 'gpt-4', messages: ask('both ways'), stream: true });
    expect(streamed._hiddenParams.cacheHit).toBe(true);
    expect(assembleChunks(await collect(streamed)).choices[0]!.message.content).toBe(plain.choices[0]!.message.content);

    await collect(await router.completion({ model: 'gpt-3.5', messages: ask('other way'), stream: true }));
    const fromStream = await router.completion({ model: 'gpt-3.5', messages: ask('other way') });
    expect(fromStream._hiddenParams.cacheHit).toBe(true);
    expect(fromStream.choices[0]!.message.content).toBe('Reply to "other way" from gpt-3.5-turbo');
    expect(fromStream.choices[0]!.finish_reason).toBe('stop');
    expect(upstream().callCount()).toBe(2);
  });

  it('tool calls and usage survive storing a stream and replaying it', async () => {
    const router = twoGroupRouter();
    const tools: FunctionTool[] = [
      { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } } },
    ];
    const request = { model: 'gpt-3.5', messages: ask('please use a tool for this'), tools, stream: true as const, stream_options: { include_usage: true } };
    const live = assembleChunks(await collect(await router.completion(request)));
    expect(live.choices[0]!.message.tool_calls?.[0]?.function.name).toBe('lookup');
    expect(live.usage?.total_tokens).toBeGreaterThan(0);
    const replayed = await router.completion(request);
    const chunks: ChatCompletionChunk[] = await collect(replayed);
    expect(replayed._hiddenParams.cacheHit).toBe(true);
    const again = assembleChunks(chunks);
    expect(again.choices).toEqual(live.choices);
    expect(again.usage).toEqual(live.usage);
    expect(chunks.filter((c) => c.choices[0]?.delta.tool_calls).length).toBeGreaterThan(1);
    const nonStream = await router.completion({ ...request, stream: false });
    expect(nonStream.choices[0]!.message.tool_calls).toEqual(live.choices[0]!.message.tool_calls);
    expect(nonStream.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('a stream cut mid-way throws to the consumer and is not stored', async () => {
    const router = twoGroupRouter();
    upstream().script('gpt-3.5-turbo', { cutStreamAfter: 2 });
    const stream = await router.completion({ model: 'gpt-3.5', messages: ask('cut me off in the middle please'), stream: true });
    const received: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((err: unknown) => err);
    expect(failure).toMatchObject({ name: 'APIConnectionError', status: 500 });
    // Chunks reach the consumer as they arrive, not after the stream completes.
    expect(received).toHaveLength(2);
    const next = await router.completion({ model: 'gpt-3.5', messages: ask('cut me off in the middle please') });
    expect(next._hiddenParams.cacheHit).toBe(false);
    expect(upstream().callCount()).toBe(2);
  });

  it('a consumer that stops early leaves nothing stored', async () => {
    const router = twoGroupRouter();
    const stream = await router.completion({ model: 'gpt-3.5', messages: ask('I will stop reading early'), stream: true });
    for await (const _chunk of stream) break;
    const next = await router.completion({ model: 'gpt-3.5', messages: ask('I will stop reading early') });
    expect(next._hiddenParams.cacheHit).toBe(false);
  });

  it('a stream that fails before its first chunk is retried', async () => {
    const router = twoGroupRouter();
    upstream().script('gpt-3.5-turbo', { status: 503 });
    const stream = await router.completion({ model: 'gpt-3.5', messages: ask('retry the stream'), stream: true });
    expect(assembleChunks(await collect(stream)).choices[0]!.message.content).toBe('Reply to "retry the stream" from gpt-3.5-turbo');
    expect(upstream().callCount()).toBe(2);
  });

  it('a stream stored without include_usage still answers later calls with usage', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'usage-model')], cache: new Cache() });
    await collect(await router.completion({ model: 'g', messages: ask('usage please'), stream: true }));
    const hit = await router.completion({ model: 'g', messages: ask('usage please') });
    expect(hit._hiddenParams.cacheHit).toBe(true);
    expect(hit.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    const replayed = await collect(
      await router.completion({ model: 'g', messages: ask('usage please'), stream: true, stream_options: { include_usage: true } }),
    );
    expect(replayed.at(-1)!.usage).toEqual(hit.usage);
  });
});

describe('RouterConfigError at construction', () => {
  const u = () => upstream();
  it.each([
    ['an empty modelList', () => ({ modelList: [] }), 'modelList'],
    ['a caching group naming an unknown model group', () => ({ modelList: [deployment(u(), 'a', 'm')], cachingGroups: [['a', 'nope']] }), 'cachingGroups[0]'],
    [
      'a model in two caching groups',
      () => ({
        modelList: [deployment(u(), 'a', 'm'), deployment(u(), 'b', 'm'), deployment(u(), 'c', 'm')],
        cachingGroups: [
          ['a', 'b'],
          ['c', 'a'],
        ],
      }),
      'cachingGroups[1]',
    ],
    [
      'duplicate deployment ids',
      () => ({
        modelList: [
          { ...deployment(u(), 'a', 'm'), info: { id: 'x' } },
          { ...deployment(u(), 'b', 'n'), info: { id: 'x' } },
        ],
      }),
      'modelList[1]',
    ],
    ['two identical deployments', () => ({ modelList: [deployment(u(), 'a', 'm'), deployment(u(), 'a', 'm')] }), 'modelList[1]'],
    ['a model whose provider cannot be told', () => ({ modelList: [{ modelName: 'a', params: { model: 'mystery-model' } }] }), 'modelList[0].params.model'],
    ['an unknown option', () => ({ modelList: [deployment(u(), 'a', 'm')], cachingGroup: [['a']] }), 'cachingGroup'],
    ['a fallback to an unknown group', () => ({ modelList: [deployment(u(), 'a', 'm')], fallbacks: [{ a: ['zzz'] }] }), 'fallbacks[0].a'],
    ['a bad routing strategy', () => ({ modelList: [deployment(u(), 'a', 'm')], routingStrategy: 'fastest' }), 'routingStrategy'],
    ['a negative numRetries', () => ({ modelList: [deployment(u(), 'a', 'm')], numRetries: -1 }), 'numRetries'],
  ])('%s', (_name, options, option) => {
    let caught: unknown;
    try {
      new Router(options());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RouterConfigError);
    expect((caught as RouterConfigError).name).toBe('RouterConfigError');
    expect((caught as RouterConfigError).option).toBe(option);
    expect((caught as Error).message).toContain(option);
  });

  it('derives the same deployment ids in every process with the same config', async () => {
    const entry = { modelName: 'a', params: { model: 'openai/m', apiBase: 'http://127.0.0.1:1/v1', rpm: 10 } };
    const router = new Router({ modelList: [entry] });
    const here = (await router.getAvailableDeployment('a')).id;
    const script = `const { Router } = require('@llmcache/router');
      new Router({ modelList: [${JSON.stringify(entry)}] }).getAvailableDeployment('a').then((d) => console.log(d.id));`;
    const there = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
    expect(there).toBe(here);
    expect(here).toBe(deploymentId('a', entry.params));
    const withId = new Router({ modelList: [{ ...entry, info: { id: 'my-id' } }] });
    expect((await withId.getAvailableDeployment('a')).id).toBe('my-id');
  });
});

describe('the cache option', () => {
  it('accepts any Cache, including one on a custom backend', async () => {
    const backend = new MemoryBackend();
    const router = twoGroupRouter(new Cache({ backend, namespace: 'team' }));
    const res = await router.completion({ model: 'gpt-3.5', messages: ask('ns') });
    expect(res._hiddenParams.cacheKey).toMatch(/^team:/);
    expect(backend.get(res._hiddenParams.cacheKey!)).toBeDefined();
  });
});

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
      expect(
        assembleChunks(await collect(await router.completion({ model: 'g', messages: ask('shape'), stream: true }))).choices[0]!.message.content,
      ).toContain('shape');
      await cache.set(embedKey, d);
      const embedded = await router.embedding({ model: 'e', input: 'shape' });
      expect(embedded._hiddenParams.cacheHit).toBe(false);
      expect(Array.isArray(embedded.data[0]!.embedding)).toBe(true);
    }
    expect(errors.length).toBe(12);
    expect(errors.every((e) => e.operation === 'decode')).toBe(true);
  });
});
