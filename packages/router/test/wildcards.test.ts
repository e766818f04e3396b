// Wildcard deployments, as LiteLLM's router has them: `*` catches every model no exact group has, and
// `provider/*` every `provider/...` model; the requested name becomes the provider's model and the cache identity.
import { Cache } from '@llmcache/core';
import { assembleChunks, BadRequestError, Router } from '@llmcache/router';
import { ask, collect, useUpstream } from './helpers';

const upstream = useUpstream();

const routers: Router[] = [];
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

function make(options: ConstructorParameters<typeof Router>[0]): Router {
  const router = new Router(options);
  routers.push(router);
  return router;
}

const models = () => upstream().calls.map((c) => c.body.model);

describe('model_name "*"', () => {
  const catchAll = () =>
    make({
      modelList: [
        { modelName: 'exact', params: { model: 'openai/exact-model', apiBase: upstream().openaiBase, apiKey: 'k' } },
        { modelName: '*', params: { model: 'openai/*', apiBase: upstream().openaiBase, apiKey: 'k' } },
      ],
      cache: new Cache(),
    });

  it('routes any model no group has, with the requested name as the provider model; an exact group still wins', async () => {
    const router = catchAll();
    const res = await router.completion({ model: 'llama-3-70b', messages: ask('wild') });
    expect(res.choices[0]!.message.content).toBe('Reply to "wild" from llama-3-70b');
    expect(res._hiddenParams).toMatchObject({ modelGroup: '*', model: 'llama-3-70b' });
    const chunks = await collect(await router.completion({ model: 'qwen-2', messages: ask('wild stream'), stream: true }));
    expect(assembleChunks(chunks).choices[0]!.message.content).toBe('Reply to "wild stream" from qwen-2');
    await router.completion({ model: 'exact', messages: ask('exact') });
    await router.embedding({ model: 'some-embedder', input: 'vector me' });
    expect(models()).toEqual(['llama-3-70b', 'qwen-2', 'exact-model', 'some-embedder']);
  });

  it('each requested model is its own cache identity: two models never share an entry', async () => {
    const router = catchAll();
    const request = { messages: ask('same prompt') };
    expect(router.cacheKey({ model: 'model-a', ...request })).not.toBe(router.cacheKey({ model: 'model-b', ...request }));
    const a = await router.completion({ model: 'model-a', ...request });
    const b = await router.completion({ model: 'model-b', ...request });
    expect(b._hiddenParams.cacheHit).toBe(false);
    expect(b.choices[0]!.message.content).toBe('Reply to "same prompt" from model-b');
    const again = await router.completion({ model: 'model-a', ...request });
    expect(again._hiddenParams.cacheHit).toBe(true);
    expect(again.choices[0]!.message.content).toBe(a.choices[0]!.message.content);
    expect(models()).toEqual(['model-a', 'model-b']);
    // A streamed miss is stored under the requested model too.
    await collect(await router.completion({ model: 'model-c', ...request, stream: true }));
    expect((await router.completion({ model: 'model-c', ...request }))._hiddenParams.cacheHit).toBe(true);
    expect((await router.completion({ model: 'model-d', ...request }))._hiddenParams.cacheHit).toBe(false);
  });

  it('params.model "*" takes the requested name whole, provider prefix included', async () => {
    const router = make({ modelList: [{ modelName: '*', params: { model: '*', apiBase: upstream().openaiBase, apiKey: 'k' } }] });
    await router.completion({ model: 'groq/llama-3.1-8b', messages: ask('x') });
    await router.completion({ model: 'gpt-4o-mini', messages: ask('x') });
    expect(models()).toEqual(['llama-3.1-8b', 'gpt-4o-mini']);
    const err = await router.completion({ model: 'mystery', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/"mystery" matches the wildcard group "\*", but cannot tell the provider of "mystery"/);
  });
});

describe('model_name "provider/*"', () => {
  const byProvider = () =>
    make({
      modelList: [
        { modelName: 'openai/*', params: { model: 'openai/*', apiBase: upstream().openaiBase, apiKey: 'openai-key' } },
        { modelName: 'anthropic/*', params: { model: 'anthropic/*', apiBase: upstream().url, apiKey: 'anthropic-key' } },
      ],
      cache: new Cache(),
    });

  it("routes every provider/... model to that provider's deployment, and nothing else", async () => {
    const router = byProvider();
    await router.completion({ model: 'openai/gpt-4o', messages: ask('x') });
    await router.completion({ model: 'anthropic/claude-3-5-haiku', messages: ask('x') });
    expect(upstream().calls.map((c) => [c.path, c.body.model])).toEqual([
      ['/v1/chat/completions', 'gpt-4o'],
      ['/v1/messages', 'claude-3-5-haiku'],
    ]);
    expect(upstream().calls[1]!.headers['x-api-key']).toBe('anthropic-key');
    const err = await router.completion({ model: 'groq/llama', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/"groq\/llama" is not a model group/);
  });

  it('keeps the requested model as the cache identity', async () => {
    const router = byProvider();
    await router.completion({ model: 'openai/gpt-4o', messages: ask('same') });
    expect((await router.completion({ model: 'openai/gpt-4o-mini', messages: ask('same') }))._hiddenParams.cacheHit).toBe(false);
    expect((await router.completion({ model: 'openai/gpt-4o', messages: ask('same') }))._hiddenParams.cacheHit).toBe(true);
    expect(models()).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  it('the most specific pattern wins, and each * takes its own part', async () => {
    const router = make({
      modelList: [
        { modelName: '*', params: { model: 'openai/catch-all', apiBase: upstream().openaiBase, apiKey: 'k' } },
        { modelName: 'team/*/v*', params: { model: 'openai/*-v*', apiBase: upstream().openaiBase, apiKey: 'k' } },
      ],
    });
    await router.completion({ model: 'team/llama/v2', messages: ask('x') });
    await router.completion({ model: 'other', messages: ask('x') });
    expect(models()).toEqual(['llama-v2', 'catch-all']);
  });
});

describe('fallbacks to a wildcard group', () => {
  /** A group whose only deployment (an Azure one) answers 500, and wildcard groups to fall back to. */
  const withFallbacks = (fallbacks: Array<Record<string, string[]>>, cache?: Cache) =>
    make({
      modelList: [
        { modelName: 'claude-3-5-haiku', params: { model: 'azure/broken-deployment', apiBase: upstream().url, apiKey: 'azure-key' } },
        { modelName: '*', params: { model: 'openai/*', apiBase: upstream().openaiBase, apiKey: 'openai-key' } },
        { modelName: 'anthropic/*', params: { model: 'anthropic/*', apiBase: upstream().url, apiKey: 'anthropic-key' } },
      ],
      fallbacks,
      numRetries: 0,
      ...(cache ? { cache } : {}),
    });

  it.each([
    [['*'], '/v1/chat/completions'],
    [['anthropic/*'], '/v1/messages'],
  ])('to %j: its deployment takes the requested model, as LiteLLM substitutes it', async (targets, path) => {
    upstream().script('broken-deployment', { status: 500 });
    const events: unknown[] = [];
    const router = withFallbacks([{ 'claude-3-5-haiku': targets }]);
    router.on('fallback', (e) => events.push([e.from, e.to]));
    const res = await router.completion({ model: 'claude-3-5-haiku', messages: ask('fall back') });
    expect(res.choices[0]!.message.content).toBe('Reply to "fall back" from claude-3-5-haiku');
    expect(res._hiddenParams.modelGroup).toBe(targets[0]);
    expect(upstream().calls.map((c) => [c.path, c.model])).toEqual([
      ['/openai/deployments/broken-deployment/chat/completions', 'broken-deployment'],
      [path, 'claude-3-5-haiku'],
    ]);
    expect(events).toEqual([['claude-3-5-haiku', targets[0]]]);
  });

  it('to a model a wildcard group routes (azure/gpt-4o through azure/*), streaming included; a name nothing routes is refused at construction', async () => {
    const router = make({
      modelList: [
        { modelName: 'gpt-4o', params: { model: 'openai/gpt-4o', apiBase: upstream().openaiBase, apiKey: 'k' } },
        { modelName: 'azure/*', params: { model: 'azure/*', apiBase: upstream().url, apiKey: 'azure-key' } },
      ],
      fallbacks: [{ 'gpt-4o': ['azure/gpt-4o-backup'] }],
      numRetries: 0,
    });
    upstream().script('gpt-4o', { status: 503 }, { status: 503 });
    await router.completion({ model: 'gpt-4o', messages: ask('x') });
    const chunks = await collect(await router.completion({ model: 'gpt-4o', messages: ask('stream'), stream: true }));
    expect(assembleChunks(chunks).choices[0]!.message.content).toBe('Reply to "stream" from gpt-4o-backup');
    expect(upstream().calls.map((c) => c.path)).toEqual([
      '/v1/chat/completions',
      '/openai/deployments/gpt-4o-backup/chat/completions',
      '/v1/chat/completions',
      '/openai/deployments/gpt-4o-backup/chat/completions',
    ]);
    expect(() =>
      make({
        modelList: [{ modelName: 'gpt-4o', params: { model: 'openai/gpt-4o', apiBase: upstream().openaiBase } }],
        fallbacks: [{ 'gpt-4o': ['azure/gpt-4o-backup'] }],
      }),
    ).toThrow(/fallbacks\[0\]\.gpt-4o: must list model groups of this router/);
  });

  it('from a model only a wildcard group serves (anthropic/x through anthropic/*), and aliases to one; names nothing serves are refused', async () => {
    const modelList = [
      { modelName: 'anthropic/*', params: { model: 'anthropic/*', apiBase: upstream().url, apiKey: 'ant-key' } },
      { modelName: 'backup', params: { model: 'openai/backup-model', apiBase: upstream().openaiBase, apiKey: 'k' } },
    ];
    const router = make({
      modelList,
      fallbacks: [{ 'anthropic/claude-opus': ['anthropic/claude-haiku'] }, { 'anthropic/claude-haiku': ['backup'] }],
      modelGroupAlias: { opus: 'anthropic/claude-opus' },
      numRetries: 0,
    });
    const events: string[][] = [];
    router.on('fallback', (e) => events.push([e.from, e.to]));
    upstream().script('claude-opus', { status: 529 });
    const res = await router.completion({ model: 'opus', messages: ask('via alias') });
    expect(res.choices[0]!.message.content).toBe('Reply to "via alias" from claude-haiku');
    upstream().script('claude-haiku', { status: 500 });
    const toExact = await router.completion({ model: 'anthropic/claude-haiku', messages: ask('x') });
    expect(toExact._hiddenParams.modelGroup).toBe('backup');
    expect(upstream().calls.map((c) => [c.path, c.model])).toEqual([
      ['/v1/messages', 'claude-opus'],
      ['/v1/messages', 'claude-haiku'],
      ['/v1/messages', 'claude-haiku'],
      ['/v1/chat/completions', 'backup-model'],
    ]);
    expect(events).toEqual([
      ['anthropic/*', 'anthropic/claude-haiku'],
      ['anthropic/*', 'backup'],
    ]);
    expect(() => make({ modelList, fallbacks: [{ 'openai/gpt-4o': ['backup'] }] })).toThrow(/fallbacks\[0\]: "openai\/gpt-4o" is not a model group/);
    expect(() => make({ modelList, contextWindowFallbacks: [{ 'gpt-5-mini': ['backup'] }] })).toThrow(
      /contextWindowFallbacks\[0\]: "gpt-5-mini" is not a model group/,
    );
    expect(() => make({ modelList, modelGroupAlias: { opus: 'gpt-5.5' } })).toThrow(/modelGroupAlias\.opus: "gpt-5\.5" is not a model group/);
  });

  it('an answer a wildcard fallback gave is not stored: its model was made for that request alone', async () => {
    upstream().script('broken-deployment', { status: 500 });
    const router = withFallbacks([{ 'claude-3-5-haiku': ['*'] }], new Cache());
    const first = await router.completion({ model: 'claude-3-5-haiku', messages: ask('once') });
    expect(first.choices[0]!.message.content).toBe('Reply to "once" from claude-3-5-haiku');
    // Neither the group that failed nor the wildcard group serves it: the next calls go upstream.
    const again = await router.completion({ model: 'claude-3-5-haiku', messages: ask('once') });
    expect(again._hiddenParams.cacheHit).toBe(false);
    expect(again.choices[0]!.message.content).toBe('Reply to "once" from broken-deployment');
    const literal = await router.completion({ model: '*', messages: ask('once') });
    expect(literal._hiddenParams.cacheHit).toBe(false);
    expect((await router.completion({ model: 'claude-3-5-haiku', messages: ask('once') }))._hiddenParams.cacheHit).toBe(true);
  });
});
