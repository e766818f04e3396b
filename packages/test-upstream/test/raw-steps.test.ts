// The { body } and { rawStream } steps: answers sent exactly as scripted, for clients' handling of
// answers that break the API's promises.
import { type Upstream, startUpstream } from '@llmcache/test-upstream';

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

function post(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${upstream.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const chat = (body: Record<string, unknown>) => post('/v1/chat/completions', { messages: [{ role: 'user', content: 'Hi' }], ...body });

describe('{ body } step', () => {
  it('answers 200 with exactly the JSON of any value, then the model answers normally again', async () => {
    const bodies: unknown[] = [null, 42, { error: { message: 'overloaded', type: 'server_error' } }, { choices: [] }, [1, 2]];
    upstream.script('m', ...bodies.map((body) => ({ body })));
    for (const body of bodies) {
      const res = await chat({ model: 'm' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const text = await res.text();
      expect(text).toBe(JSON.stringify(body));
    }
    const normal = await chat({ model: 'm' });
    expect(((await normal.json()) as any).choices[0].message.content).toBe('Reply to "Hi" from m');
    expect(upstream.callCount({ model: 'm' })).toBe(bodies.length + 1);
  });

  it('sends a string as it is, an undefined body as nothing, with the given status and content type', async () => {
    upstream.script(
      'm',
      { body: 'not json at all' },
      { body: '"a JSON string"' },
      { body: undefined },
      { body: '<html>bad gateway</html>', status: 502, contentType: 'text/html' },
    );
    expect(await (await chat({ model: 'm' })).text()).toBe('not json at all');
    expect(await (await chat({ model: 'm' })).json()).toBe('a JSON string');
    const empty = await chat({ model: 'm' });
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    const html = await chat({ model: 'm' });
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toBe('text/html');
    expect(await html.text()).toBe('<html>bad gateway</html>');
  });

  it('answers a streaming request with the plain body too, on every endpoint', async () => {
    upstream.script('m', { body: { choices: null } });
    const streamed = await chat({ model: 'm', stream: true });
    expect(streamed.headers.get('content-type')).toBe('application/json');
    expect(await streamed.json()).toEqual({ choices: null });

    upstream.script('d', { body: { data: 'nope' } });
    expect(await (await post('/openai/deployments/d/embeddings?api-version=x', { input: 'a' })).json()).toEqual({ data: 'nope' });
    upstream.script('claude', { body: { type: 'message', content: null } });
    expect(await (await post('/v1/messages', { model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] })).json()).toEqual({
      type: 'message',
      content: null,
    });
    upstream.script('davinci', { body: { choices: [{}] } });
    expect(await (await post('/v1/completions', { model: 'davinci', prompt: 'x' })).json()).toEqual({ choices: [{}] });

    const form = new FormData();
    form.append('file', new Blob([new Uint8Array([1, 2, 3])]), 'a.wav');
    form.append('model', 'whisper-1');
    upstream.script('whisper-1', { body: { text: 7 } });
    const transcription = await fetch(`${upstream.openaiBase}/audio/transcriptions`, { method: 'POST', body: form });
    expect(await transcription.json()).toEqual({ text: 7 });
  });

  it('wins over the built-in failures, like the other scripted steps', async () => {
    upstream.script('m', { body: null });
    const res = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, { authorization: 'Bearer bad-key' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('null');
  });

  it('refuses a status outside 200..599 or a content type that is not a string when scripted', () => {
    expect(() => upstream.script('m', { body: null, status: 99 })).toThrow(RangeError);
    expect(() => upstream.script('m', { body: null, status: 200.5 })).toThrow(/integer from 200 to 599, got 200.5/);
    expect(() => upstream.script('m', { body: null, contentType: 5 as unknown as string })).toThrow(TypeError);
  });
});

describe('{ rawStream } step', () => {
  it('sends the blocks exactly, then ends without adding [DONE]', async () => {
    const blocks = [
      'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\n\n',
      'data: null\n\n',
      'event: error\ndata: {"error":{"message":"overloaded","type":"server_error"}}\n\n',
      ': a comment and a half line without its blank line',
    ];
    upstream.script('m', { rawStream: blocks });
    const res = await chat({ model: 'm', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(await res.text()).toBe(blocks.join(''));
    expect((await chat({ model: 'm', stream: true })).headers.get('content-type')).toBe('text/event-stream');
  });

  it('answers a non-streaming request and the Anthropic path with the stream as well; [] ends at once', async () => {
    upstream.script('m', { rawStream: ['data: 1\n\n'] }, { rawStream: [] });
    expect(await (await chat({ model: 'm' })).text()).toBe('data: 1\n\n');
    const empty = await chat({ model: 'm', stream: true });
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    upstream.script('claude', { rawStream: ['event: message_start\ndata: null\n\n'] });
    const anthropic = await post('/v1/messages', { model: 'claude', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    expect(await anthropic.text()).toBe('event: message_start\ndata: null\n\n');
  });

  it('refuses anything but an array of strings when scripted', async () => {
    expect(() => upstream.script('m', { rawStream: 'data: x\n\n' as unknown as string[] })).toThrow(TypeError);
    expect(() => upstream.script('m', { rawStream: ['data: x\n\n', 5 as unknown as string] })).toThrow(/array of strings/);
    // A refused step queues nothing, not even the valid ones before it.
    expect(() => upstream.script('m', { reply: 'ok' }, { rawStream: [null as unknown as string] })).toThrow(TypeError);
    expect(((await (await chat({ model: 'm' })).json()) as any).choices[0].message.content).toBe('Reply to "Hi" from m');
  });
});
