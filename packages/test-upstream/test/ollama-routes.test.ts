// Ollama's native /api/generate, /api/chat and /api/embed, over a real socket: answers in Ollama's shapes,
// NDJSON streams (the default, unless `stream: false`), `done_reason` and the token counts.
import { TOOL_TRIGGER_PHRASE, type Upstream, startUpstream } from '@llmcache/test-upstream';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await upstream.close();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${upstream.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** The lines of an NDJSON body, parsed. */
async function lines(res: Response): Promise<any[]> {
  const text = await res.text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('Ollama /api/generate', () => {
  it('answers stream: false with the whole response, done_reason and the token counts', async () => {
    const res = await post('/api/generate', { model: 'llama3.2', prompt: 'why is the sky blue', stream: false });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      model: 'llama3.2',
      response: 'Reply to "why is the sky blue" from llama3.2',
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 5,
      eval_count: 9,
    });
    expect(typeof body.created_at).toBe('string');
    expect(upstream.calls[0]).toMatchObject({ path: '/api/generate', model: 'llama3.2' });
  });

  it('streams by default: NDJSON lines whose responses add up, the last done with the counts', async () => {
    const res = await post('/api/generate', { model: 'llama3.2', prompt: 'stream me' });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const all = await lines(res);
    const last = all.pop();
    expect(all.every((line) => line.done === false)).toBe(true);
    expect(all.map((line) => line.response).join('')).toBe('Reply to "stream me" from llama3.2');
    expect(last).toMatchObject({ response: '', done: true, done_reason: 'stop', prompt_eval_count: 2, eval_count: 6 });
  });

  it('cuts at options.num_predict with done_reason length, and cuts a stream when scripted', async () => {
    const cut = (await (await post('/api/generate', { model: 'm', prompt: 'x', stream: false, options: { num_predict: 2 } })).json()) as any;
    expect(cut).toMatchObject({ response: 'Reply to', done_reason: 'length', eval_count: 2 });
    upstream.script('m', { cutStreamAfter: 2 });
    const res = await post('/api/generate', { model: 'm', prompt: 'x' });
    await expect(res.text()).rejects.toThrow();
  });

  it('answers errors as { error: string }, the model missing included', async () => {
    const missing = await post('/api/generate', { prompt: 'x', stream: false });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'model is required' });
    upstream.script('m', { status: 404, message: "model 'm' not found" });
    const notFound = await post('/api/generate', { model: 'm', prompt: 'x', stream: false });
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: "model 'm' not found" });
  });
});

describe('Ollama /api/chat', () => {
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hi ollama' },
  ];

  it('answers a message with done_reason and counts, and streams message pieces by default', async () => {
    const whole = (await (await post('/api/chat', { model: 'qwen3', messages, stream: false })).json()) as any;
    expect(whole).toMatchObject({
      model: 'qwen3',
      message: { role: 'assistant', content: 'Reply to "hi ollama" from qwen3' },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 4,
      eval_count: 6,
    });
    const all = await lines(await post('/api/chat', { model: 'qwen3', messages }));
    const last = all.pop();
    expect(all.map((line) => line.message.content).join('')).toBe('Reply to "hi ollama" from qwen3');
    expect(last).toMatchObject({ message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', eval_count: 6 });
  });

  it('calls the first tool, arguments as an object, when the user says so', async () => {
    const tools = [{ type: 'function', function: { name: 'search', parameters: { type: 'object' } } }];
    const body = (await (
      await post('/api/chat', { model: 'qwen3', messages: [{ role: 'user', content: `please ${TOOL_TRIGGER_PHRASE}` }], tools, stream: false })
    ).json()) as any;
    expect(body.message).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [{ function: { name: 'search', arguments: { query: `please ${TOOL_TRIGGER_PHRASE}` } } }],
    });
  });

  it('refuses a body without messages', async () => {
    const res = await post('/api/chat', { model: 'qwen3', stream: false });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'messages is required' });
  });
});

describe('Ollama /api/embed', () => {
  it('answers one vector per input and the prompt token count; a bad input is a 400', async () => {
    const body = (await (await post('/api/embed', { model: 'nomic-embed-text', input: ['one two', 'three'] })).json()) as any;
    expect(body.embeddings).toHaveLength(2);
    expect(body.embeddings[0]).toHaveLength(8);
    expect(body.prompt_eval_count).toBe(3);
    const single = (await (await post('/api/embed', { model: 'nomic-embed-text', input: 'one two' })).json()) as any;
    expect(single.embeddings).toEqual([body.embeddings[0]]);
    const bad = await post('/api/embed', { model: 'nomic-embed-text', input: 42 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid input type' });
  });
});
