import { createHash } from 'node:crypto';
import { CONTEXT_LENGTH_MESSAGE, type Upstream, defaultTranscript, fakeEmbedding, startUpstream } from '@llmcache/test-upstream';

let upstream: Upstream;

beforeAll(async () => {
  upstream = await startUpstream();
});

afterEach(() => {
  upstream.reset();
});

afterAll(async () => {
  await upstream.close();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${upstream.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

function chat(body: Record<string, unknown>, headers?: Record<string, string>): Promise<Response> {
  return post('/v1/chat/completions', body, headers);
}

const user = (content: unknown) => [{ role: 'user', content }];

/** The JSON body of a response, untyped (the tests check its shape). */
const bodyOf = (res: Response): Promise<any> => res.json();

interface SseEvent {
  event?: string;
  data: string;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event: SseEvent = { data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice('event: '.length);
        else if (line.startsWith('data: ')) event.data = line.slice('data: '.length);
      }
      return event;
    });
}

/** Reads a response body until it ends or fails; returns what arrived and whether it failed. */
async function readAll(res: Response): Promise<{ text: string; failed: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, failed: false };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, failed: true };
  }
}

describe('chat completions', () => {
  it('answers with an OpenAI chat.completion and word-count usage', async () => {
    const res = await chat({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Hello there' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const json = await bodyOf(res);
    expect(json).toEqual({
      id: expect.stringMatching(/^chatcmpl-\d+$/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gpt-4o',
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Reply to "Hello there" from gpt-4o', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 },
    });
    expect(Math.abs(json.created - Date.now() / 1000)).toBeLessThan(5);
    expect(upstream.calls).toHaveLength(1);
    expect(upstream.calls[0]).toMatchObject({ path: '/v1/chat/completions', model: 'gpt-4o', method: 'POST' });
    expect(upstream.calls[0]!.body.messages[1].content).toBe('Hello there');
    expect(upstream.calls[0]!.headers.authorization).toBe('Bearer sk-test');
  });

  it('joins text parts, returns n choices and truncates at max_tokens', async () => {
    const parts = await bodyOf(
      await chat({
        model: 'm',
        messages: user([
          { type: 'text', text: 'Hi' },
          { type: 'image_url', image_url: { url: 'x' } },
          { type: 'text', text: 'there' },
        ]),
      }),
    );
    expect(parts.choices[0].message.content).toBe('Reply to "Hi there" from m');

    const many = await bodyOf(await chat({ model: 'm', n: 3, messages: user('Hi') }));
    expect(many.choices.map((c: any) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(many.choices.map((c: any) => c.message.content)).size).toBe(1);
    expect(many.usage.completion_tokens).toBe(15);

    const short = await bodyOf(await chat({ model: 'm', max_tokens: 2, messages: user('Hi') }));
    expect(short.choices[0]).toMatchObject({ message: { content: 'Reply to' }, finish_reason: 'length' });
    expect(short.usage.completion_tokens).toBe(2);
    const newer = await bodyOf(await chat({ model: 'm', max_completion_tokens: 3, messages: user('Hi') }));
    expect(newer.choices[0]).toMatchObject({ message: { content: 'Reply to "Hi"' }, finish_reason: 'length' });
  });

  it('uses setReply (text or function) and a { reply } step', async () => {
    upstream.setReply('a', 'Fixed answer');
    upstream.setReply('b', (text) => text.toUpperCase());
    upstream.script('a', { reply: 'Scripted once' });
    const answer = async (model: string) => (await bodyOf(await chat({ model, messages: user('hello you') }))).choices[0].message.content;
    expect(await answer('a')).toBe('Scripted once');
    expect(await answer('a')).toBe('Fixed answer');
    expect(await answer('b')).toBe('HELLO YOU');
    upstream.reset();
    expect(await answer('a')).toBe('Reply to "hello you" from a');
  });

  it('calls a tool when asked to', async () => {
    const tools = [
      { type: 'function', function: { name: 'search', parameters: { type: 'object' } } },
      { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } },
    ];
    const byWords = await bodyOf(await chat({ model: 'm', tools, messages: user('Please use a tool now') }));
    expect(byWords.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: expect.stringMatching(/^call_\d+$/), type: 'function', function: { name: 'search', arguments: '{"query":"Please use a tool now"}' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    const required = await bodyOf(await chat({ model: 'm', tools, tool_choice: 'required', messages: user('Hi') }));
    expect(required.choices[0].message.tool_calls[0].function.name).toBe('search');
    const named = await bodyOf(await chat({ model: 'm', tools, tool_choice: { type: 'function', function: { name: 'lookup' } }, messages: user('Hi') }));
    expect(named.choices[0].message.tool_calls[0].function.name).toBe('lookup');
    const none = await bodyOf(await chat({ model: 'm', tools, tool_choice: 'none', messages: user('use a tool') }));
    expect(none.choices[0].message.content).toBe('Reply to "use a tool" from m');
    const noTools = await bodyOf(await chat({ model: 'm', messages: user('use a tool') }));
    expect(noTools.choices[0].finish_reason).toBe('stop');
  });

  it('streams text as SSE chunks whose deltas add up to the full reply', async () => {
    const full = (await bodyOf(await chat({ model: 'm', messages: user('Stream  this, please') }))).choices[0].message.content;
    const res = await chat({ model: 'm', stream: true, messages: user('Stream  this, please') });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data));
    expect(chunks.length).toBeGreaterThan(4);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ id: chunks[0].id, object: 'chat.completion.chunk', model: 'm', created: expect.any(Number) });
      expect(chunk.choices[0]).toMatchObject({ index: 0, logprobs: null });
    }
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.at(-1).choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' });
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0].finish_reason === null)).toBe(true);
    const text = chunks.map((chunk) => chunk.choices[0].delta.content ?? '').join('');
    expect(text).toBe(full);
    expect(text).toBe('Reply to "Stream  this, please" from m');
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
  });

  it('streams tool calls whose argument pieces add up, and a usage chunk with include_usage', async () => {
    const res = await chat({
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: 'function', function: { name: 'search' } }],
      messages: user('find the weather, use a tool'),
    });
    const events = parseSse(await res.text());
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data));
    const first = chunks[0].choices[0].delta.tool_calls[0];
    expect(first).toEqual({ index: 0, id: expect.stringMatching(/^call_\d+$/), type: 'function', function: { name: 'search', arguments: '' } });
    const argumentChunks = chunks.slice(1, -2);
    expect(argumentChunks.length).toBeGreaterThan(1);
    const args = argumentChunks
      .map((chunk) => {
        expect(chunk.choices[0].delta.tool_calls[0].index).toBe(0);
        return chunk.choices[0].delta.tool_calls[0].function.arguments;
      })
      .join('');
    expect(JSON.parse(args)).toEqual({ query: 'find the weather, use a tool' });
    expect(chunks.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 6, completion_tokens: expect.any(Number), total_tokens: 6 + usage.usage.completion_tokens });
  });

  it('answers on the Azure path with the deployment as the model', async () => {
    const res = await post('/openai/deployments/my-gpt/chat/completions?api-version=2024-06-01', { messages: user('Hi') }, { 'api-key': 'k' });
    expect(res.status).toBe(200);
    const json = await bodyOf(res);
    expect(json.model).toBe('my-gpt');
    expect(json.choices[0].message.content).toBe('Reply to "Hi" from my-gpt');
    expect(upstream.calls[0]).toMatchObject({
      path: '/openai/deployments/my-gpt/chat/completions',
      url: '/openai/deployments/my-gpt/chat/completions?api-version=2024-06-01',
      model: 'my-gpt',
    });
  });

  it('counts the connections open to it, kept-alive ones included, until the client lets go', async () => {
    const own = await startUpstream();
    try {
      const { Agent, request } = await import('node:http');
      const agent = new Agent({ keepAlive: true });
      await new Promise<void>((resolve, reject) => {
        const req = request(`${own.openaiBase}/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'm', messages: user('x') }));
      });
      expect(own.openConnections()).toBe(1);
      agent.destroy();
      for (let i = 0; i < 50 && own.openConnections() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(own.openConnections()).toBe(0);
    } finally {
      await own.close();
    }
  });

  it("answers on Google AI Studio's OpenAI-compatible paths (/v1beta/openai/…)", async () => {
    const json = await bodyOf(await post('/v1beta/openai/chat/completions', { model: 'gemini-2.0-flash', messages: user('Hi') }));
    expect(json.choices[0].message.content).toBe('Reply to "Hi" from gemini-2.0-flash');
    const embedded = await bodyOf(await post('/v1beta/openai/embeddings', { model: 'text-embedding-004', input: 'Hi' }));
    expect(embedded.data[0].embedding).toEqual(fakeEmbedding('Hi'));
  });
});

describe('errors and scripts', () => {
  it('plays scripted steps FIFO per model: 429 with Retry-After, 500, then normal answers', async () => {
    upstream.script('m', { status: 429, retryAfter: 2 }, { status: 500, message: 'boom' });
    const first = await chat({ model: 'm', messages: user('Hi') });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('2');
    expect(await bodyOf(first)).toEqual({
      error: { message: expect.any(String), type: 'requests', param: null, code: 'rate_limit_exceeded' },
    });
    const other = await chat({ model: 'other', messages: user('Hi') });
    expect(other.status).toBe(200);
    const second = await chat({ model: 'm', messages: user('Hi') });
    expect(second.status).toBe(500);
    expect(second.headers.get('retry-after')).toBeNull();
    expect(await bodyOf(second)).toEqual({ error: { message: 'boom', type: 'server_error', param: null, code: null } });
    expect((await chat({ model: 'm', messages: user('Hi') })).status).toBe(200);
    expect(upstream.callCount({ model: 'm' })).toBe(3);
    expect(upstream.callCount()).toBe(4);
  });

  it('answers scripted errors to streaming requests as JSON, and 400 with invalid_request_error', async () => {
    upstream.script('m', { status: 400, message: 'bad temperature' });
    const res = await chat({ model: 'm', stream: true, messages: user('Hi') });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect((await bodyOf(res)).error).toMatchObject({ type: 'invalid_request_error', message: 'bad temperature' });
  });

  it('drops the connection without an answer, then serves the next request', async () => {
    upstream.script('m', { drop: true });
    await expect(chat({ model: 'm', messages: user('Hi') })).rejects.toThrow();
    expect((await chat({ model: 'm', messages: user('Hi') })).status).toBe(200);
    expect(upstream.callCount({ path: '/v1/chat/completions', model: 'm' })).toBe(2);
  });

  it('cuts a stream after N events without [DONE]; a non-stream request is dropped', async () => {
    upstream.script('m', { cutStreamAfter: 3 }, { cutStreamAfter: 3 });
    const res = await chat({ model: 'm', stream: true, messages: user('a fairly long message to stream') });
    expect(res.status).toBe(200);
    const { text, failed } = await readAll(res);
    expect(failed).toBe(true);
    const events = parseSse(text);
    expect(events).toHaveLength(3);
    expect(events.some((event) => event.data === '[DONE]')).toBe(false);
    expect(JSON.parse(events[0]!.data).choices[0].delta.role).toBe('assistant');
    await expect(chat({ model: 'm', messages: user('Hi') })).rejects.toThrow();
    expect((await chat({ model: 'm', stream: true, messages: user('Hi') })).status).toBe(200);
  });

  it('rejects bad-key with 401 on OpenAI and Azure paths and accepts anything else', async () => {
    const openai = await chat({ model: 'm', messages: user('Hi') }, { authorization: 'Bearer bad-key' });
    expect(openai.status).toBe(401);
    expect((await bodyOf(openai)).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    const azure = await post('/openai/deployments/d/chat/completions?api-version=x', { messages: user('Hi') }, { 'api-key': 'bad-key' });
    expect(azure.status).toBe(401);
    const noAuth = await fetch(`${upstream.openaiBase}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: user('Hi') }),
    });
    expect(noAuth.status).toBe(200);
  });

  it('fails with context_length_exceeded when the text says it would exceed the context window', async () => {
    const res = await chat({ model: 'small', messages: [{ role: 'system', content: 'This will EXCEED the context window.' }, ...user('Hi')] });
    expect(res.status).toBe(400);
    expect(await bodyOf(res)).toEqual({
      error: { message: CONTEXT_LENGTH_MESSAGE, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' },
    });
    expect(CONTEXT_LENGTH_MESSAGE).toBe("This model's maximum context length is 4096 tokens. However, your messages resulted in 9000 tokens.");
  });

  it('answers 400 to a bad JSON body and 404 to an unknown path', async () => {
    const bad = await post('/v1/chat/completions', '{"model": ');
    expect(bad.status).toBe(400);
    expect((await bodyOf(bad)).error.type).toBe('invalid_request_error');
    expect(upstream.calls[0]!.body).toBe('{"model": ');
    const missing = await post('/v1/nothing', { model: 'm' });
    expect(missing.status).toBe(404);
    expect((await bodyOf(missing)).error).toEqual({ message: 'Invalid URL (POST /v1/nothing)', type: 'invalid_request_error', param: null, code: null });
    const get = await fetch(`${upstream.openaiBase}/chat/completions`);
    expect(get.status).toBe(404);
    expect(upstream.callCount()).toBe(3);
    const noModel = await chat({ messages: user('Hi') });
    expect(noModel.status).toBe(400);
  });

  it('survives a client that aborts in the middle of a stream', async () => {
    const controller = new AbortController();
    const res = await post(
      '/v1/chat/completions',
      { model: 'm', stream: true, messages: user('one two three four five six seven eight') },
      {},
      controller.signal,
    );
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await chat({ model: 'm', messages: user('Hi') })).status).toBe(200);
  });
});

describe('legacy completions', () => {
  it('answers text_completion objects, streamed or not', async () => {
    const json = await bodyOf(await post('/v1/completions', { model: 'davinci', prompt: ['Say hi', 'ignored'] }));
    expect(json).toEqual({
      id: expect.stringMatching(/^cmpl-\d+$/),
      object: 'text_completion',
      created: expect.any(Number),
      model: 'davinci',
      choices: [{ text: 'Reply to "Say hi" from davinci', index: 0, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 2, completion_tokens: 6, total_tokens: 8 },
    });
    const events = parseSse(await (await post('/v1/completions', { model: 'davinci', prompt: 'Say hi', stream: true })).text());
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data));
    expect(chunks.every((chunk) => chunk.object === 'text_completion')).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0].text).join('')).toBe('Reply to "Say hi" from davinci');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0].finish_reason === null)).toBe(true);
  });
});

describe('embeddings', () => {
  it('returns deterministic unit vectors in input order', async () => {
    const res = await post('/v1/embeddings', { model: 'embed', input: ['alpha beta', 'gamma', 'alpha beta'] });
    expect(res.status).toBe(200);
    const json = await bodyOf(res);
    expect(json).toMatchObject({ object: 'list', model: 'embed', usage: { prompt_tokens: 5, total_tokens: 5 } });
    expect(json.data.map((d: any) => [d.object, d.index])).toEqual([
      ['embedding', 0],
      ['embedding', 1],
      ['embedding', 2],
    ]);
    const [a, g, a2] = json.data.map((d: any) => d.embedding as number[]);
    expect(a).toHaveLength(8);
    expect(a).toEqual(a2);
    expect(a).not.toEqual(g);
    expect(Math.hypot(...a)).toBeCloseTo(1, 10);
    expect(a).toEqual(fakeEmbedding('alpha beta'));
    const digest = createHash('sha256').update('gamma').digest();
    const raw = Array.from(digest.subarray(0, 8), (byte) => byte / 255 - 0.5);
    const norm = Math.hypot(...raw);
    raw.forEach((value, i) => expect(g[i]).toBeCloseTo(value / norm, 12));

    const single = await bodyOf(await post('/v1/embeddings', { model: 'embed', input: 'gamma' }));
    expect(single.data).toHaveLength(1);
    expect(single.data[0].embedding).toEqual(g);
    expect(upstream.calls.map((call) => call.body.input)).toEqual([['alpha beta', 'gamma', 'alpha beta'], 'gamma']);
  });

  it('serves the Azure path and base64 encoding', async () => {
    const json = await bodyOf(await post('/openai/deployments/ada/embeddings?api-version=1', { input: 'x', encoding_format: 'base64' }, { 'api-key': 'k' }));
    expect(json.model).toBe('ada');
    const bytes = Buffer.from(json.data[0].embedding, 'base64');
    const decoded = Array.from({ length: 8 }, (_, i) => bytes.readFloatLE(i * 4));
    fakeEmbedding('x').forEach((value, i) => expect(decoded[i]).toBeCloseTo(value, 6));
    expect(upstream.callCount({ model: 'ada' })).toBe(1);
  });

  it('answers the vectors setEmbedding gives for that model, the default for texts it leaves out, until reset', async () => {
    upstream.setEmbedding('table', (text) => (text === 'known' ? [3, 4, 0] : undefined));
    const vectorsOf = async (model: string) =>
      (await bodyOf(await post('/v1/embeddings', { model, input: ['known', 'other'] }))).data.map((d: any) => d.embedding);
    expect(await vectorsOf('table')).toEqual([[3, 4, 0], fakeEmbedding('other')]);
    expect(await vectorsOf('embed')).toEqual([fakeEmbedding('known'), fakeEmbedding('other')]);
    upstream.reset();
    expect(await vectorsOf('table')).toEqual([fakeEmbedding('known'), fakeEmbedding('other')]);
  });
});

describe('audio transcriptions', () => {
  it('parses multipart uploads and records what was sent', async () => {
    const audio = new Uint8Array(Array.from({ length: 300 }, (_, i) => i % 256));
    const sha256 = createHash('sha256').update(audio).digest('hex');
    const form = new FormData();
    form.append('file', new Blob([audio], { type: 'audio/wav' }), 'clip.wav');
    form.append('model', 'whisper-1');
    form.append('language', 'en');
    const res = await fetch(`${upstream.openaiBase}/audio/transcriptions`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toEqual({ text: `transcript of 300 bytes ${sha256.slice(0, 8)}` });
    expect(defaultTranscript(300, sha256)).toBe(`transcript of 300 bytes ${sha256.slice(0, 8)}`);
    expect(upstream.calls[0]).toMatchObject({
      path: '/v1/audio/transcriptions',
      model: 'whisper-1',
      body: { model: 'whisper-1', fileName: 'clip.wav', bytes: 300, sha256, language: 'en' },
    });

    const azureForm = new FormData();
    azureForm.append('file', new Blob([audio]), 'clip.wav');
    azureForm.append('response_format', 'text');
    const azure = await fetch(`${upstream.url}/openai/deployments/whisper-dep/audio/transcriptions?api-version=1`, { method: 'POST', body: azureForm });
    expect(azure.status).toBe(200);
    expect(await azure.text()).toBe(`transcript of 300 bytes ${sha256.slice(0, 8)}`);
    expect(upstream.calls[1]!.model).toBe('whisper-dep');
  });

  it('answers 400 without a file', async () => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    const res = await fetch(`${upstream.openaiBase}/audio/transcriptions`, { method: 'POST', body: form });
    expect(res.status).toBe(400);
  });
});

describe('anthropic messages', () => {
  const anthropic = (body: Record<string, unknown>, key = 'sk-ant') => post('/v1/messages', body, { 'x-api-key': key, 'anthropic-version': '2023-06-01' });

  it('answers a Messages API response', async () => {
    const res = await anthropic({ model: 'claude', max_tokens: 100, system: 'Be nice', messages: user([{ type: 'text', text: 'Hello Claude' }]) });
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toEqual({
      id: expect.stringMatching(/^msg_\d+$/),
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [{ type: 'text', text: 'Reply to "Hello Claude" from claude' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 4, output_tokens: 6 },
    });
  });

  it('uses tools, truncates at max_tokens, and sends Anthropic-shaped errors', async () => {
    const tools = [
      { name: 'search', input_schema: { type: 'object' } },
      { name: 'other', input_schema: { type: 'object' } },
    ];
    const tool = await bodyOf(await anthropic({ model: 'claude', max_tokens: 100, tools, messages: user('use a tool please') }));
    expect(tool.stop_reason).toBe('tool_use');
    expect(tool.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_\d+$/), name: 'search', input: { query: 'use a tool please' } }]);
    const named = await bodyOf(
      await anthropic({ model: 'claude', max_tokens: 100, tools, tool_choice: { type: 'tool', name: 'other' }, messages: user('Hi') }),
    );
    expect(named.content[0].name).toBe('other');
    const any = await bodyOf(await anthropic({ model: 'claude', max_tokens: 100, tools, tool_choice: { type: 'any' }, messages: user('Hi') }));
    expect(any.content[0].name).toBe('search');

    const short = await bodyOf(await anthropic({ model: 'claude', max_tokens: 2, messages: user('Hi') }));
    expect(short).toMatchObject({ content: [{ type: 'text', text: 'Reply to' }], stop_reason: 'max_tokens', usage: { output_tokens: 2 } });

    upstream.script('claude', { status: 429, retryAfter: 1 });
    const limited = await anthropic({ model: 'claude', max_tokens: 10, messages: user('Hi') });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await bodyOf(limited)).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.any(String) } });
    const denied = await anthropic({ model: 'claude', max_tokens: 10, messages: user('Hi') }, 'bad-key');
    expect(denied.status).toBe(401);
    expect((await bodyOf(denied)).error.type).toBe('authentication_error');
    const tooLong = await anthropic({ model: 'claude', max_tokens: 10, messages: user('this would exceed the context window') });
    expect(tooLong.status).toBe(400);
    expect((await bodyOf(tooLong)).error.type).toBe('invalid_request_error');
  });

  it('streams the events in order, text deltas adding up to the reply', async () => {
    const res = await anthropic({ model: 'claude', max_tokens: 100, stream: true, messages: user('Stream it') });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    const names = events.map((event) => event.event);
    expect(names[0]).toBe('message_start');
    expect(names[1]).toBe('content_block_start');
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const deltas = names.slice(2, -3);
    expect(deltas.length).toBeGreaterThan(1);
    expect(new Set(deltas)).toEqual(new Set(['content_block_delta']));
    const data = events.map((event) => JSON.parse(event.data));
    data.forEach((payload, i) => expect(payload.type).toBe(names[i]));
    expect(data[0].message).toEqual({
      id: expect.stringMatching(/^msg_\d+$/),
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 2, output_tokens: 1 },
    });
    expect(data[1].content_block).toEqual({ type: 'text', text: '' });
    expect(
      data
        .slice(2, -3)
        .map((d) => d.delta.text)
        .join(''),
    ).toBe('Reply to "Stream it" from claude');
    expect(data.at(-2)).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 6 } });
  });

  it('streams tool_use input as partial JSON', async () => {
    const res = await anthropic({
      model: 'claude',
      max_tokens: 100,
      stream: true,
      tools: [{ name: 'search', input_schema: {} }],
      tool_choice: { type: 'any' },
      messages: user('weather in Paris'),
    });
    const data = parseSse(await res.text()).map((event) => JSON.parse(event.data));
    expect(data[1].content_block).toEqual({ type: 'tool_use', id: expect.stringMatching(/^toolu_\d+$/), name: 'search', input: {} });
    const json = data
      .filter((d) => d.type === 'content_block_delta')
      .map((d) => {
        expect(d.delta.type).toBe('input_json_delta');
        return d.delta.partial_json;
      })
      .join('');
    expect(JSON.parse(json)).toEqual({ query: 'weather in Paris' });
    expect(data.at(-2).delta.stop_reason).toBe('tool_use');
  });

  it('cuts an Anthropic stream without message_stop', async () => {
    upstream.script('claude', { cutStreamAfter: 2 });
    const res = await anthropic({ model: 'claude', max_tokens: 100, stream: true, messages: user('Hi there') });
    const { text, failed } = await readAll(res);
    expect(failed).toBe(true);
    expect(parseSse(text).map((event) => event.event)).toEqual(['message_start', 'content_block_start']);
  });
});

describe('counters, latency and concurrency', () => {
  it('counts calls by path and model', async () => {
    await chat({ model: 'a', messages: user('1') });
    await chat({ model: 'b', messages: user('2') });
    await post('/v1/embeddings', { model: 'a', input: 'x' });
    expect(upstream.callCount()).toBe(3);
    expect(upstream.callCount({ model: 'a' })).toBe(2);
    expect(upstream.callCount({ path: '/v1/chat/completions' })).toBe(2);
    expect(upstream.callCount({ path: '/v1/chat/completions', model: 'a' })).toBe(1);
    expect(upstream.calls.map((call) => call.at)).toEqual([...upstream.calls.map((call) => call.at)].sort((x, y) => x - y));
  });

  it('measures peak concurrency per model with setLatency', async () => {
    upstream.setLatency('slow', 80);
    const started = Date.now();
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => chat({ model: 'slow', messages: user('Hi') })),
      chat({ model: 'fast', messages: user('Hi') }),
    ]);
    expect(results.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect(upstream.peakConcurrency('slow')).toBe(4);
    expect(upstream.peakConcurrency('fast')).toBe(1);
    expect(upstream.peakConcurrency()).toBe(5);
    expect(upstream.peakConcurrency('unknown')).toBe(0);
    await chat({ model: 'slow', messages: user('Hi') });
    expect(upstream.peakConcurrency('slow')).toBe(4);
    upstream.reset();
    expect(upstream.peakConcurrency('slow')).toBe(0);
    expect(upstream.peakConcurrency()).toBe(0);
  });

  it('delays one answer with a { latencyMs } step and waits before the first streamed byte', async () => {
    upstream.script('m', { latencyMs: 60 });
    let started = Date.now();
    expect((await chat({ model: 'm', messages: user('Hi') })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    started = Date.now();
    await chat({ model: 'm', messages: user('Hi') });
    expect(Date.now() - started).toBeLessThan(50);

    upstream.setLatency('m', 60);
    started = Date.now();
    const res = await chat({ model: 'm', stream: true, messages: user('Hi') });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    await res.text();
  });
});

describe('close', () => {
  it('closes keep-alive sockets and requests in flight', async () => {
    const own = await startUpstream();
    const ok = await fetch(`${own.openaiBase}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: user('Hi') }) });
    expect(ok.status).toBe(200);
    await bodyOf(ok);
    own.setLatency('m', 10_000);
    const pending = fetch(`${own.openaiBase}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: user('Hi') }) });
    while (own.callCount() < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
    await own.close(); // idempotent
  });

  it('listens on the requested host and port', async () => {
    const probe = await startUpstream();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const own = await startUpstream({ port, host: '127.0.0.1' });
    expect(own.url).toBe(`http://127.0.0.1:${port}`);
    expect(own.openaiBase).toBe(`http://127.0.0.1:${port}/v1`);
    await own.close();
  });
});
