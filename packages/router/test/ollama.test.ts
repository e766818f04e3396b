// ollama/ and ollama_chat/ over real sockets on the local upstream's Ollama routes: /api/generate with
// LiteLLM's prompt, /api/chat with the messages, /api/embed, NDJSON streams, done_reason and the counts.
import { Cache } from '@llmcache/core';
import { APIConnectionError, assembleChunks, BadRequestError, NotFoundError, Router, type DeploymentParams, type FunctionTool } from '@llmcache/router';
import { fakeEmbedding, TOOL_TRIGGER_PHRASE } from '@llmcache/test-upstream';
import { ask, collect, useUpstream } from './helpers';

const upstream = useUpstream();
const tools: FunctionTool[] = [
  { type: 'function', function: { name: 'search', description: 'Search', parameters: { type: 'object', properties: { query: { type: 'string' } } } } },
];

const routers: Router[] = [];
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

function routerOf(model: string, extra: Partial<DeploymentParams> = {}, cache?: Cache): Router {
  const router = new Router({
    modelList: [{ modelName: 'm', params: { model, apiBase: upstream().url, ...extra } }],
    numRetries: 0,
    ...(cache ? { cache } : {}),
  });
  routers.push(router);
  return router;
}

const lastCall = () => upstream().calls.at(-1)!;

describe('ollama/ (/api/generate)', () => {
  it("sends the messages as LiteLLM's prompt with options, stream: false, and answers in OpenAI shape with usage from the counts", async () => {
    const res = await routerOf('ollama/llama3.2').completion({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi ollama' },
      ],
      max_tokens: 50,
      temperature: 0.2,
      stop: 'END',
      seed: 7,
      extra_body: { num_ctx: 4096, keep_alive: '5m' },
    });
    const prompt = '### System:\nBe brief.\n\n### User:\nhi ollama\n\n';
    expect(lastCall().path).toBe('/api/generate');
    expect(lastCall().body).toEqual({
      model: 'llama3.2',
      prompt,
      stream: false,
      keep_alive: '5m',
      options: { num_predict: 50, temperature: 0.2, stop: ['END'], seed: 7, num_ctx: 4096 },
    });
    expect(lastCall().headers.authorization).toBeUndefined();
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('llama3.2');
    expect(res.choices[0]!.message).toEqual({ role: 'assistant', content: `Reply to "${prompt}" from llama3.2`, refusal: null });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    // Counts as Ollama gives them: prompt_eval_count and eval_count.
    expect(res.usage).toEqual({ prompt_tokens: 8, completion_tokens: 13, total_tokens: 21 });
  });

  it('streams NDJSON lines as chunks: role first, the text, the finish reason, then usage when asked', async () => {
    const stream = await routerOf('ollama/llama3.2').completion({
      model: 'm',
      messages: ask('stream me'),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    expect(lastCall().body.stream).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.length).toBeGreaterThan(5);
    const whole = assembleChunks(chunks);
    expect(whole.choices[0]!.message.content).toBe('Reply to "### User:\nstream me\n\n" from llama3.2');
    expect(whole.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 } });
  });

  it('says length when Ollama stops at num_predict, streamed or not', async () => {
    const router = routerOf('ollama/llama3.2');
    const cut = await router.completion({ model: 'm', messages: ask('long'), max_tokens: 2 });
    expect(cut.choices[0]).toMatchObject({ message: { content: 'Reply to' }, finish_reason: 'length' });
    const chunks = await collect(await router.completion({ model: 'm', messages: ask('long stream'), max_completion_tokens: 3, stream: true }));
    expect(assembleChunks(chunks).choices[0]).toMatchObject({ message: { content: 'Reply to "###' }, finish_reason: 'length' });
  });

  it('sends images as base64 in images, and format for a JSON response_format', async () => {
    await routerOf('ollama/llava').completion({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
      response_format: { type: 'json_object' },
    });
    expect(lastCall().body).toMatchObject({ prompt: '### User:\nwhat is this\n\n', images: ['iVBORw0KGgo='], format: 'json' });
  });

  it('refuses tools without a call (generate takes none); dropParams drops them, and the params LiteLLM drops for Ollama', async () => {
    const err = await routerOf('ollama/llama3.2')
      .completion({ model: 'm', messages: ask('x'), tools })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/ollama_chat\//);
    expect(upstream().calls).toHaveLength(0);
    await routerOf('ollama/llama3.2', { dropParams: true }).completion({
      model: 'm',
      messages: ask('x'),
      tools,
      logit_bias: { 1: 1 },
      presence_penalty: 1,
      temperature: 0,
    });
    expect(lastCall().body.options).toEqual({ temperature: 0 });
    expect(lastCall().body).not.toHaveProperty('tools');
  });

  it('a text completion goes to /api/generate with the prompt as it is', async () => {
    const res = await routerOf('ollama/llama3.2').textCompletion({ model: 'm', prompt: 'complete me', max_tokens: 20 });
    expect(lastCall().body).toEqual({ model: 'llama3.2', prompt: 'complete me', stream: false, options: { num_predict: 20 } });
    expect(res.object).toBe('text_completion');
    expect(res.choices[0]).toMatchObject({ text: 'Reply to "complete me" from llama3.2', finish_reason: 'stop' });
    expect(res.usage!.total_tokens).toBeGreaterThan(0);
  });
});

describe('ollama_chat/ (/api/chat)', () => {
  it('sends the messages (tool calls with object arguments, tool results named), tools but no tool_choice', async () => {
    const res = await routerOf('ollama_chat/qwen3').completion({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'search', arguments: '{"query":"weather"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'user', content: 'thanks' },
      ],
      tools,
      tool_choice: 'auto',
      temperature: 0.1,
    });
    expect(lastCall().path).toBe('/api/chat');
    expect(lastCall().body).toEqual({
      model: 'qwen3',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'search', arguments: { query: 'weather' } } }] },
        { role: 'tool', content: 'sunny', tool_name: 'search' },
        { role: 'user', content: 'thanks' },
      ],
      tools,
      options: { temperature: 0.1 },
      stream: false,
    });
    expect(res.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Reply to "thanks" from qwen3' }, finish_reason: 'stop' });
    expect(res.usage).toMatchObject({ completion_tokens: 5 });
  });

  it('answers a tool call with an id and JSON arguments, streamed or not', async () => {
    const router = routerOf('ollama_chat/qwen3');
    const res = await router.completion({ model: 'm', messages: ask(`please ${TOOL_TRIGGER_PHRASE}`), tools });
    const call = res.choices[0]!.message.tool_calls![0]!;
    expect(call).toMatchObject({ type: 'function', function: { name: 'search', arguments: JSON.stringify({ query: `please ${TOOL_TRIGGER_PHRASE}` }) } });
    expect(call.id).toMatch(/^call_/);
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(res.choices[0]!.message.content).toBeNull();

    const whole = assembleChunks(await collect(await router.completion({ model: 'm', messages: ask(`now ${TOOL_TRIGGER_PHRASE}`), tools, stream: true })));
    expect(whole.choices[0]!.finish_reason).toBe('tool_calls');
    expect(whole.choices[0]!.message.tool_calls![0]!.function).toEqual({ name: 'search', arguments: JSON.stringify({ query: `now ${TOOL_TRIGGER_PHRASE}` }) });
  });

  it('streams the message pieces; a streamed answer is stored and served to the next call from the cache', async () => {
    const router = routerOf('ollama_chat/qwen3', {}, new Cache());
    const chunks = await collect(await router.completion({ model: 'm', messages: ask('cache me'), stream: true }));
    expect(assembleChunks(chunks).choices[0]!.message.content).toBe('Reply to "cache me" from qwen3');
    const again = await router.completion({ model: 'm', messages: ask('cache me') });
    expect(again._hiddenParams.cacheHit).toBe(true);
    expect(again.choices[0]!.message.content).toBe('Reply to "cache me" from qwen3');
    expect(upstream().calls).toHaveLength(1);
  });
});

describe('ollama embeddings (/api/embed)', () => {
  it.each([['ollama/nomic-embed-text'], ['ollama_chat/nomic-embed-text']])(
    '%s: one batched call, vectors in order, usage from prompt_eval_count',
    async (model) => {
      const res = await routerOf(model).embedding({ model: 'm', input: ['one two', 'three'], dimensions: 8, extra_body: { truncate: true } });
      expect(lastCall().path).toBe('/api/embed');
      expect(lastCall().body).toEqual({ model: 'nomic-embed-text', input: ['one two', 'three'], dimensions: 8, truncate: true });
      expect(res.data.map((d) => d.embedding)).toEqual([fakeEmbedding('one two'), fakeEmbedding('three')]);
      expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    },
  );
});

describe('ollama endpoint, key and failures', () => {
  const saved = { base: process.env.OLLAMA_API_BASE, key: process.env.OLLAMA_API_KEY };
  afterEach(() => {
    for (const [name, value] of [
      ['OLLAMA_API_BASE', saved.base],
      ['OLLAMA_API_KEY', saved.key],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('reads OLLAMA_API_BASE (the server root) and OLLAMA_API_KEY (sent as a bearer token) when params do not say', async () => {
    process.env.OLLAMA_API_BASE = upstream().url;
    process.env.OLLAMA_API_KEY = 'ollama-key';
    const router = new Router({ modelList: [{ modelName: 'm', params: { model: 'ollama_chat/qwen3' } }] });
    routers.push(router);
    await router.completion({ model: 'm', messages: ask('env') });
    expect(lastCall().path).toBe('/api/chat');
    expect(lastCall().headers.authorization).toBe('Bearer ollama-key');
  });

  it('takes an api_base that already names the endpoint, as LiteLLM does', async () => {
    await routerOf('ollama/llama3.2', { apiBase: `${upstream().url}/api/generate/` }).completion({ model: 'm', messages: ask('x') });
    expect(lastCall().path).toBe('/api/generate');
  });

  it('maps { error } answers to typed errors, and a mid-stream error line to a thrown error that is not stored', async () => {
    const cache = new Cache();
    const router = routerOf('ollama_chat/qwen3', {}, cache);
    upstream().script('qwen3', { status: 404, message: "model 'qwen3' not found, try pulling it first" });
    const notFound = await router.completion({ model: 'm', messages: ask('x') }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect((notFound as Error).message).toContain("model 'qwen3' not found");

    const line = (content: string) =>
      `${JSON.stringify({ model: 'qwen3', created_at: new Date().toISOString(), message: { role: 'assistant', content }, done: false })}\n`;
    // Ollama reports a failure after the first line as a line of its own.
    upstream().script('qwen3', {
      body: `${line('Hel')}${JSON.stringify({ error: 'an error was encountered while running the model: unexpected EOF' })}\n`,
      contentType: 'application/x-ndjson',
    });
    const stream = await router.completion({ model: 'm', messages: ask('mid-stream'), stream: true });
    const midStream = await collect(stream).catch((e: unknown) => e);
    expect(midStream).toBeInstanceOf(APIConnectionError);
    expect((midStream as Error).message).toContain('an error was encountered while running the model');

    upstream().script('qwen3', { cutStreamAfter: 2 });
    const cut = await collect(await router.completion({ model: 'm', messages: ask('cut'), stream: true })).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(APIConnectionError);
    // Neither broken stream was stored: the next calls go upstream.
    await router.completion({ model: 'm', messages: ask('mid-stream') });
    await router.completion({ model: 'm', messages: ask('cut') });
    expect(upstream().calls).toHaveLength(5);
  });

  it('a stream that ends without done: true is a connection error', async () => {
    const line = `${JSON.stringify({ model: 'llama3.2', created_at: new Date().toISOString(), response: 'partial', done: false })}\n`;
    upstream().script('llama3.2', { body: line, contentType: 'application/x-ndjson' });
    const err = await collect(await routerOf('ollama/llama3.2').completion({ model: 'm', messages: ask('x'), stream: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect((err as Error).message).toContain('done: true');
  });
});
