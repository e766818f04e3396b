// What the stricter request types lean on at run time: `extra_body` (the typed way to send params the
// router does not declare), `null` params as OpenAI's types allow them, token-id embedding inputs, and
// answers that have every field OpenAI's types require. Over real sockets, against the local upstream.
import { Cache } from '@llmcache/core';
import { BadRequestError, completion, Router, RouterConfigError, setCache, disableCache, type ModelListEntry } from '@llmcache/router';
import { ask, collect, deployment, fromJavaScript, useUpstream } from './helpers';

const upstream = useUpstream();

const openaiRouter = (extra: Record<string, unknown> = {}) => new Router({ modelList: [deployment(upstream(), 'g', 'gpt-x', extra)], cache: new Cache() });

const claude = (params: Record<string, unknown> = {}): ModelListEntry => ({
  modelName: 'claude',
  params: { model: 'anthropic/claude-3-5-haiku', apiBase: upstream().url, apiKey: 'ak', ...params },
});

describe('extra_body', () => {
  it('sends its entries as top-level params, over a request param of the same name, and not itself', async () => {
    const router = openaiRouter();
    await router.completion({
      model: 'g',
      messages: ask('extra'),
      temperature: 0.1,
      extra_body: { top_k: 40, temperature: 0.7, chat_template_kwargs: { thinking: false } },
    });
    const body = upstream().calls[0]!.body;
    expect(body).toMatchObject({ top_k: 40, temperature: 0.7, chat_template_kwargs: { thinking: false } });
    expect(body).not.toHaveProperty('extra_body');
  });

  it('is part of the cache key, whatever the order of its entries', async () => {
    const router = openaiRouter();
    const first = await router.completion({ model: 'g', messages: ask('keyed'), extra_body: { top_k: 40, min_p: 0.1 } });
    const same = await router.completion({ model: 'g', messages: ask('keyed'), extra_body: { min_p: 0.1, top_k: 40 } });
    const other = await router.completion({ model: 'g', messages: ask('keyed'), extra_body: { top_k: 41, min_p: 0.1 } });
    const without = await router.completion({ model: 'g', messages: ask('keyed') });
    expect(first._hiddenParams.cacheHit).toBe(false);
    expect(same._hiddenParams.cacheHit).toBe(true);
    expect(other._hiddenParams.cacheHit).toBe(false);
    expect(without._hiddenParams.cacheHit).toBe(false);
    expect(router.cacheKey({ model: 'g', messages: ask('keyed'), extra_body: { top_k: 41, min_p: 0.1 } })).toBe(other._hiddenParams.cacheKey);
    expect(upstream().callCount()).toBe(3);
  });

  it("sends what the router would otherwise keep to itself: OpenAI's metadata and store", async () => {
    await openaiRouter().completion({
      model: 'g',
      messages: ask('stored'),
      metadata: { run: 'litellm-only' },
      extra_body: { metadata: { team: 'search' }, store: true },
    });
    expect(upstream().calls[0]!.body).toMatchObject({ metadata: { team: 'search' }, store: true });
  });

  it("reaches a native provider's own request, and dropParams never drops it", async () => {
    const router = new Router({ modelList: [claude({ dropParams: true })] });
    await router.completion({ model: 'claude', messages: ask('native'), seed: 1, extra_body: { top_k: 5, seed: 2 } });
    const body = upstream().calls[0]!.body;
    expect(body).toMatchObject({ top_k: 5, seed: 2 });
  });

  it("a deployment's extra_body goes under the request's", async () => {
    const router = openaiRouter({ extra_body: { top_k: 10, repetition_penalty: 1.1 } });
    await router.completion({ model: 'g', messages: ask('merged'), extra_body: { top_k: 20 } });
    await router.completion({ model: 'g', messages: ask('deployment only') });
    expect(upstream().calls[0]!.body).toMatchObject({ top_k: 20, repetition_penalty: 1.1 });
    expect(upstream().calls[1]!.body).toMatchObject({ top_k: 10, repetition_penalty: 1.1 });
    expect(upstream().calls[1]!.body).not.toHaveProperty('extra_body');
  });

  it("a deployment's extra_body may come from a LiteLLM config", async () => {
    const router = Router.fromConfig({
      model_list: [{ model_name: 'g', litellm_params: { model: 'openai/gpt-x', api_base: upstream().openaiBase, api_key: 'sk', extra_body: { top_k: 7 } } }],
    });
    await router.completion({ model: 'g', messages: ask('from config') });
    expect(upstream().calls[0]!.body).toMatchObject({ top_k: 7 });
    expect(upstream().calls[0]!.body).not.toHaveProperty('extra_body');
  });

  it('goes with streams, embeddings and top-level calls too', async () => {
    const router = openaiRouter();
    await collect(await router.completion({ model: 'g', messages: ask('streamed'), stream: true, extra_body: { top_k: 1 } }));
    await router.embedding({ model: 'g', input: 'vector', extra_body: { truncate: 'END' } });
    setCache(new Cache());
    try {
      const first = await completion({ model: 'openai/gpt-top', apiBase: upstream().openaiBase, apiKey: 'sk', messages: ask('top'), extra_body: { top_k: 3 } });
      const again = await completion({ model: 'openai/gpt-top', apiBase: upstream().openaiBase, apiKey: 'sk', messages: ask('top'), extra_body: { top_k: 4 } });
      expect(first._hiddenParams.cacheHit).toBe(false);
      expect(again._hiddenParams.cacheHit).toBe(false);
    } finally {
      disableCache();
    }
    expect(upstream().calls.map((c) => [c.body.top_k, c.body.truncate])).toEqual([
      [1, undefined],
      [undefined, 'END'],
      [3, undefined],
      [4, undefined],
    ]);
  });

  it.each([
    ['a string', 'top_k=40'],
    ['an array', [['top_k', 40]]],
  ])('that is %s is a 400 naming it, before any call', async (_kind, value) => {
    const err = await openaiRouter()
      .completion(fromJavaScript({ model: 'g', messages: ask('bad'), extra_body: value }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/extra_body: must be an object of params to send/);
    expect(upstream().callCount()).toBe(0);
  });

  it('that is not an object on a deployment is a RouterConfigError naming it', () => {
    expect(() => openaiRouter({ extra_body: 'top_k=40' })).toThrow(RouterConfigError);
    expect(() => openaiRouter({ extra_body: [] })).toThrow(/modelList\[0\]\.params\.extra_body: must be an object of params to send/);
  });
});

describe("null params, as OpenAI's types allow them", () => {
  it('stream: null and stream_options: null answer a whole completion', async () => {
    const res = await openaiRouter().completion({ model: 'g', messages: ask('nulls'), stream: null, stream_options: null });
    expect(res.object).toBe('chat.completion');
    expect(upstream().calls[0]!.body.stream).toBe(false);
  });

  it('are not sent, and key as if they were not given', async () => {
    const router = openaiRouter();
    const nulls = await router.completion({ model: 'g', messages: ask('null key'), temperature: null, seed: null, stop: null, extra_body: null });
    const none = await router.completion({ model: 'g', messages: ask('null key') });
    expect(upstream().calls[0]!.body).not.toHaveProperty('temperature');
    expect(upstream().calls[0]!.body).not.toHaveProperty('stop');
    expect(none._hiddenParams.cacheKey).toBe(nulls._hiddenParams.cacheKey);
    expect(none._hiddenParams.cacheHit).toBe(true);
  });

  it('reach no native provider as values (n: null and stop: null are fine for Anthropic)', async () => {
    const res = await new Router({ modelList: [claude()] }).completion({
      model: 'claude',
      messages: ask('native nulls'),
      n: null,
      stop: null,
      max_tokens: null,
    });
    expect(res.choices[0]!.message.content).toContain('native nulls');
    expect(upstream().calls[0]!.body).not.toHaveProperty('stop_sequences');
  });
});

describe("answers have every field OpenAI's types require", () => {
  it('a whole completion: refusal and logprobs null when absent, no null system_fingerprint', async () => {
    // The local upstream leaves refusal out of a tool call answer and sends system_fingerprint: null, as OpenAI has.
    const router = openaiRouter();
    const tools = [{ type: 'function' as const, function: { name: 'lookup' } }];
    const res = await router.completion({ model: 'g', messages: ask('fields'), tools, tool_choice: 'required' });
    expect(res.choices[0]).toMatchObject({ logprobs: null, message: { refusal: null, content: null }, finish_reason: 'tool_calls' });
    expect(res).not.toHaveProperty('system_fingerprint');
    const hit = await router.completion({ model: 'g', messages: ask('fields'), tools, tool_choice: 'required' });
    expect(hit._hiddenParams.cacheHit).toBe(true);
    expect(hit.choices[0]).toMatchObject({ logprobs: null, message: { refusal: null } });
  });

  it('from a native provider and from a mock, too', async () => {
    const native = await new Router({ modelList: [claude()] }).completion({ model: 'claude', messages: ask('native fields') });
    const mocked = await openaiRouter().completion({ model: 'g', messages: ask('mocked'), mockResponse: 'hi' });
    for (const res of [native, mocked]) expect(res.choices[0]).toMatchObject({ logprobs: null, message: { refusal: null }, finish_reason: 'stop' });
  });

  it("every chunk of a stream has its choices' delta and finish_reason, live and replayed", async () => {
    const router = openaiRouter();
    // A compatible server that leaves both out of its chunks.
    upstream().script('gpt-x', {
      rawStream: [
        'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}\n\n',
        'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop"}]}\n\n',
        'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\n',
        'data: [DONE]\n\n',
      ],
    });
    const request = { model: 'g', messages: ask('chunks'), stream: true as const, stream_options: { include_usage: true } };
    const live = await collect(await router.completion(request));
    const replayed = await collect(await router.completion(request));
    for (const chunks of [live, replayed]) {
      expect(chunks.length).toBeGreaterThan(1);
      for (const chunk of chunks) {
        expect(Array.isArray(chunk.choices)).toBe(true);
        for (const choice of chunk.choices) {
          expect(choice.delta).toBeDefined();
          expect(choice).toHaveProperty('finish_reason');
        }
      }
    }
    expect(live[0]!.choices[0]!.finish_reason).toBeNull();
    expect(live[1]!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(live[2]).toMatchObject({ choices: [], usage: { total_tokens: 2 } });
  });
});

describe("embeddings as OpenAI's params allow them", () => {
  const router = () => new Router({ modelList: [deployment(upstream(), 'emb', 'text-embedding-3-small')], cache: new Cache() });

  it('token-id inputs go upstream as they are, each list its own entry', async () => {
    const r = router();
    const one = await r.embedding({ model: 'emb', input: [1, 2, 3] });
    expect(one.data).toHaveLength(1);
    expect(upstream().calls[0]!.body.input).toEqual([1, 2, 3]);
    const many = await r.embedding({
      model: 'emb',
      input: [
        [1, 2, 3],
        [4, 5],
      ],
    });
    expect(many.data).toHaveLength(2);
    expect(many.data[0]!.embedding).toEqual(one.data[0]!.embedding);
    expect(upstream().calls[1]!.body.input).toEqual([[4, 5]]);
    const hit = await r.embedding({ model: 'emb', input: [4, 5] });
    expect(hit._hiddenParams.cacheHit).toBe(true);
    expect(hit._hiddenParams.cacheKey).toBe(r.cacheKey({ model: 'emb', input: [4, 5] }));
  });

  it.each([[[]], [[[]]], [[1.5, 2]], [['a', 2]]])('input %j is a 400 naming input', async (input) => {
    const err = await router()
      .embedding({ model: 'emb', input: input as string[] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/input: must be a string, a list of token ids, or a non-empty array of either/);
  });

  it('encoding_format: base64 answers strings, float numbers, each under its own key', async () => {
    const r = router();
    const base64 = await r.embedding({ model: 'emb', input: 'format', encoding_format: 'base64' });
    const float = await r.embedding({ model: 'emb', input: 'format', encoding_format: 'float' });
    expect(typeof base64.data[0]!.embedding).toBe('string');
    expect(Array.isArray(float.data[0]!.embedding)).toBe(true);
    expect(float._hiddenParams.cacheHit).toBe(false);
  });
});
