import { Cache } from '@llmcache/core';
import {
  AuthenticationError,
  assembleChunks,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  Router,
  type ChatCompletionChunk,
  type FunctionTool,
} from '@llmcache/router';
import { ask, collect, deployment, fromJavaScript, functionCall, useUpstream } from './helpers';

const upstream = useUpstream();
const tools: FunctionTool[] = [
  { type: 'function', function: { name: 'search', description: 'Search the web', parameters: { type: 'object', properties: { query: { type: 'string' } } } } },
];

describe('azure/', () => {
  it('calls the deployment URL with api-version and the api-key header', async () => {
    const router = new Router({
      modelList: [{ modelName: 'az', params: { model: 'azure/my-gpt4o', apiBase: upstream().url, apiKey: 'az-key', apiVersion: '2024-06-01' } }],
    });
    const res = await router.completion({ model: 'az', messages: ask('azure hello') });
    expect(res.choices[0]!.message.content).toBe('Reply to "azure hello" from my-gpt4o');
    const call = upstream().calls[0]!;
    expect(call.path).toBe('/openai/deployments/my-gpt4o/chat/completions');
    expect(call.headers['api-key']).toBe('az-key');
    expect(call.body.model).toBeUndefined();
  });

  it('maps 401 to AuthenticationError with the provider message', async () => {
    const router = new Router({ modelList: [{ modelName: 'az', params: { model: 'azure/d', apiBase: upstream().url, apiKey: 'bad-key' } }] });
    const err = await router.completion({ model: 'az', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401, provider: 'azure', name: 'AuthenticationError' });
  });
});

describe('anthropic/', () => {
  const router = () =>
    new Router({
      modelList: [{ modelName: 'claude', params: { model: 'anthropic/claude-3-5-haiku', apiBase: upstream().url, apiKey: 'ak' } }],
      cache: new Cache(),
    });

  it('translates messages to the Messages API and the answer back to OpenAI shape', async () => {
    const res = await router().completion({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi claude' },
      ],
      max_tokens: 100,
      stop: 'END',
      user: 'u-1',
    });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Reply to "hi claude" from claude-3-5-haiku' });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    const call = upstream().calls[0]!;
    expect(call.path).toBe('/v1/messages');
    expect(call.headers['x-api-key']).toBe('ak');
    expect(call.headers['anthropic-version']).toBe('2023-06-01');
    expect(call.body).toMatchObject({ model: 'claude-3-5-haiku', system: 'Be brief.', max_tokens: 100, stop_sequences: ['END'], metadata: { user_id: 'u-1' } });
    expect(call.body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi claude' }] }]);
  });

  it('translates tools and tool calls both ways, including tool results', async () => {
    const r = router();
    const res = await r.completion({ model: 'claude', messages: ask('please use a tool'), tools, tool_choice: 'required' });
    const call = functionCall(res.choices[0]!.message.tool_calls![0]);
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.function.name).toBe('search');
    expect(JSON.parse(call.function.arguments)).toEqual({ query: 'please use a tool' });
    expect(upstream().calls[0]!.body.tools).toEqual([{ name: 'search', description: 'Search the web', input_schema: tools[0]!.function.parameters }]);
    expect(upstream().calls[0]!.body.tool_choice).toEqual({ type: 'any' });

    await r.completion({
      model: 'claude',
      messages: [
        ...ask('please use a tool'),
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '42 results' },
      ],
      tools,
    });
    expect(upstream().calls[1]!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'please use a tool' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: 'search', input: { query: 'please use a tool' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '42 results' }] },
    ]);
  });

  it('streams text and tool calls as OpenAI chunks', async () => {
    const r = router();
    const chunks: ChatCompletionChunk[] = await collect(
      await r.completion({ model: 'claude', messages: ask('stream from claude'), stream: true, stream_options: { include_usage: true } }),
    );
    const assembled = assembleChunks(chunks);
    expect(assembled.choices[0]!.message.content).toBe('Reply to "stream from claude" from claude-3-5-haiku');
    expect(assembled.choices[0]!.finish_reason).toBe('stop');
    expect(assembled.usage?.completion_tokens).toBeGreaterThan(0);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(2);

    const toolChunks = await collect(await r.completion({ model: 'claude', messages: ask('use a tool while streaming'), tools, stream: true }));
    const toolAnswer = assembleChunks(toolChunks);
    expect(toolAnswer.choices[0]!.finish_reason).toBe('tool_calls');
    expect(JSON.parse(toolAnswer.choices[0]!.message.tool_calls![0]!.function.arguments)).toEqual({ query: 'use a tool while streaming' });
  });

  it('maps Anthropic errors to typed errors with status', async () => {
    const r = router();
    upstream().script('claude-3-5-haiku', { status: 529, message: 'Overloaded' }, { status: 529 }, { status: 529 });
    const err = await r.completion({ model: 'claude', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 529, provider: 'anthropic' });
    expect((err as Error).message).toContain('Overloaded');
  });
});

describe('a call the provider has no API for', () => {
  it('is one 400 naming the call and the provider, made without a request', async () => {
    const router = new Router({
      modelList: [
        { modelName: 'claude', params: { model: 'anthropic/claude-3-5-haiku', apiBase: upstream().url, apiKey: 'ak' } },
        { modelName: 'gemini', params: { model: 'vertex_ai/gemini-2.0-flash', apiBase: upstream().url, vertexProject: 'p' } },
        { modelName: 'llama', params: { model: 'ollama/llama3.2', apiBase: upstream().url } },
      ],
    });
    const cases: Array<[Promise<unknown>, string]> = [
      [router.textCompletion({ model: 'claude', prompt: 'x' }), 'anthropic has no text completion API; use completion() with messages'],
      [router.embedding({ model: 'claude', input: 'x' }), 'anthropic has no embeddings API'],
      [router.embedding({ model: 'gemini', input: 'x' }), 'vertex_ai has no embeddings API'],
      [router.transcription({ model: 'llama', file: Buffer.from('audio') }), 'ollama has no transcription API'],
    ];
    for (const [call, message] of cases) {
      const err = await call.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ status: 400 });
      expect((err as Error).message).toContain(message);
    }
    expect(upstream().calls).toHaveLength(0);
  });
});

describe('openai/ and inference', () => {
  it('a 404 becomes NotFoundError and is not retried', async () => {
    const router = new Router({ modelList: [{ modelName: 'x', params: { model: 'openai/m', apiBase: `${upstream().url}/wrong/v1` } }] });
    await expect(router.completion({ model: 'x', messages: ask('x') })).rejects.toBeInstanceOf(NotFoundError);
    expect(upstream().callCount()).toBe(1);
  });

  it('a bare known name infers its provider', async () => {
    const router = new Router({
      modelList: [
        { modelName: 'g', params: { model: 'gpt-4o-mini', apiBase: upstream().openaiBase } },
        { modelName: 'c', params: { model: 'claude-3-opus', apiBase: upstream().url } },
      ],
    });
    expect((await router.completion({ model: 'g', messages: ask('bare') })).choices[0]!.message.content).toContain('gpt-4o-mini');
    expect((await router.completion({ model: 'c', messages: ask('bare') })).choices[0]!.message.content).toContain('claude-3-opus');
    expect(upstream().calls.map((c) => c.path)).toEqual(['/v1/chat/completions', '/v1/messages']);
  });

  it('mockResponse returns that text without a call, as a stream too', async () => {
    const router = new Router({ modelList: [{ modelName: 'm', params: { model: 'openai/gpt-4o', mockResponse: 'canned answer here' } }] });
    expect((await router.completion({ model: 'm', messages: ask('x') })).choices[0]!.message.content).toBe('canned answer here');
    expect((await router.completion({ model: 'm', messages: ask('x'), mockResponse: 'per request' })).choices[0]!.message.content).toBe('per request');
    const streamed = assembleChunks(await collect(await router.completion({ model: 'm', messages: ask('y'), stream: true })));
    expect(streamed.choices[0]!.message.content).toBe('canned answer here');
    expect(upstream().callCount()).toBe(0);
  });

  it('text completions go to /v1/completions and are cached', async () => {
    const router = new Router({ modelList: [{ modelName: 't', params: { model: 'openai/davinci-002', apiBase: upstream().openaiBase } }], cache: new Cache() });
    const first = await router.textCompletion({ model: 't', prompt: 'Once upon' });
    expect(first.choices[0]!.text).toBe('Reply to "Once upon" from davinci-002');
    expect((await router.textCompletion({ model: 't', prompt: 'Once upon' }))._hiddenParams.cacheHit).toBe(true);
    expect(upstream().callCount({ path: '/v1/completions' })).toBe(1);
  });

  it('transport and control params never reach the body; headers and organization go as headers', async () => {
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'plain', { organization: 'org-dep' })] });
    // max_retries is the openai client's option, which a JavaScript caller may send along.
    await router.completion(
      fromJavaScript({
        model: 'g',
        messages: ask('clean body'),
        extra_headers: { 'X-Trace': 'abc' },
        num_retries: 0,
        max_retries: 0,
        request_timeout: 5,
        metadata: { run: 1 },
        stream_options: { include_usage: true },
        temperature: 0.3,
      }),
    );
    const call = upstream().calls[0]!;
    expect(Object.keys(call.body).sort()).toEqual(['messages', 'model', 'stream', 'temperature']);
    expect(call.headers['x-trace']).toBe('abc');
    expect(call.headers['openai-organization']).toBe('org-dep');
  });
});
