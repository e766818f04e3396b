import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { BEDROCK_CONTEXT_LENGTH_MESSAGE, SAFETY_BLOCK_PHRASE, TOKEN_LIFETIME_SECONDS, type Upstream, startUpstream } from '@llmcache/test-upstream';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await upstream.close();
});

const MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
/** What a SigV4 signature looks like; the server checks the shape, not the signature. */
const SIGV4 = `AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`;
const codec = new EventStreamCodec(toUtf8, fromUtf8);

function converse(body: unknown, { stream = false, authorization = SIGV4 }: { stream?: boolean; authorization?: string } = {}): Promise<Response> {
  return fetch(`${upstream.url}/model/${encodeURIComponent(MODEL_ID)}/${stream ? 'converse-stream' : 'converse'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
}

const userTurn = (text: string) => ({ messages: [{ role: 'user', content: [{ text }] }] });

/** Decodes an event-stream body into its frames' types and JSON payloads. */
function frames(bytes: Uint8Array): Array<{ kind: string; type: string; payload: any }> {
  const out: Array<{ kind: string; type: string; payload: any }> = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
    const message = codec.decode(bytes.subarray(offset, offset + length));
    const kind = String(message.headers[':message-type']!.value);
    const type = String((message.headers[':event-type'] ?? message.headers[':exception-type'])!.value);
    out.push({ kind, type, payload: JSON.parse(toUtf8(message.body)) });
    offset += length;
  }
  return out;
}

describe('Bedrock Converse', () => {
  it('answers a signed request with the deterministic reply, stop reason and usage', async () => {
    const res = await converse({ ...userTurn('hi bedrock'), system: [{ text: 'Be brief.' }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      output: { message: { role: 'assistant', content: [{ text: `Reply to "hi bedrock" from ${MODEL_ID}` }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 4, outputTokens: 6, totalTokens: 10 },
    });
    expect(upstream.calls[0]).toMatchObject({ path: `/model/${encodeURIComponent(MODEL_ID)}/converse`, model: MODEL_ID });
  });

  it('refuses a request without a SigV4 Authorization header, and the bad-key access key id', async () => {
    for (const authorization of ['', 'Bearer sk-test']) {
      const res = await converse(userTurn('x'), { authorization });
      expect(res.status).toBe(403);
      expect(res.headers.get('x-amzn-errortype')).toMatch(/^UnrecognizedClientException/);
      expect(((await res.json()) as any).message).toMatch(/SigV4/);
    }
    const bad = await converse(userTurn('x'), { authorization: SIGV4.replace('AKIDTEST', 'bad-key') });
    expect(bad.status).toBe(403);
    expect(bad.headers.get('x-amzn-errortype')).toMatch(/^UnrecognizedClientException/);
  });

  it('uses the tool asked for, cuts at maxTokens, and refuses a prompt over the context window', async () => {
    const toolConfig = { tools: [{ toolSpec: { name: 'search', inputSchema: { json: { type: 'object' } } } }], toolChoice: { any: {} } };
    const tool = (await (await converse({ ...userTurn('find it'), toolConfig })).json()) as any;
    expect(tool.stopReason).toBe('tool_use');
    expect(tool.output.message.content[0].toolUse).toMatchObject({ name: 'search', input: { query: 'find it' }, toolUseId: expect.any(String) });

    const cut = (await (await converse({ ...userTurn('a b'), inferenceConfig: { maxTokens: 2 } })).json()) as any;
    expect(cut).toMatchObject({ stopReason: 'max_tokens', output: { message: { content: [{ text: 'Reply to' }] } } });

    const long = await converse(userTurn('this will exceed the context window'));
    expect(long.status).toBe(400);
    expect(long.headers.get('x-amzn-errortype')).toMatch(/^ValidationException/);
    expect(((await long.json()) as any).message).toBe(BEDROCK_CONTEXT_LENGTH_MESSAGE);
  });

  it('answers scripted errors with the Bedrock error name', async () => {
    upstream.script(MODEL_ID, { status: 429, retryAfter: 2 }, { status: 500, message: 'boom' });
    const throttled = await converse(userTurn('x'));
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '2']);
    expect(throttled.headers.get('x-amzn-errortype')).toMatch(/^ThrottlingException/);
    const failed = await converse(userTurn('x'));
    expect(failed.status).toBe(500);
    expect((await failed.json()) as any).toEqual({ message: 'boom' });
  });

  it('streams ConverseStream as event-stream frames whose text deltas add up to the reply', async () => {
    const res = await converse(userTurn('stream it'), { stream: true });
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const events = frames(new Uint8Array(await res.arrayBuffer()));
    expect(events.every((e) => e.kind === 'event')).toBe(true);
    expect(events[0]).toEqual({ kind: 'event', type: 'messageStart', payload: { role: 'assistant' } });
    expect(events.slice(-3).map((e) => e.type)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    const text = events
      .filter((e) => e.type === 'contentBlockDelta')
      .map((e) => e.payload.delta.text)
      .join('');
    expect(text).toBe(`Reply to "stream it" from ${MODEL_ID}`);
    expect(events.at(-2)!.payload).toEqual({ stopReason: 'end_turn' });
    expect(events.at(-1)!.payload.usage).toEqual({ inputTokens: 2, outputTokens: 6, totalTokens: 8 });
  });

  it('streams a tool call as contentBlockStart then input pieces, and cuts a stream when scripted', async () => {
    const toolConfig = { tools: [{ toolSpec: { name: 'search', inputSchema: { json: {} } } }] };
    const events = frames(new Uint8Array(await (await converse({ ...userTurn('use a tool'), toolConfig }, { stream: true })).arrayBuffer()));
    expect(events[1]!.payload).toMatchObject({ contentBlockIndex: 0, start: { toolUse: { name: 'search' } } });
    const input = events
      .filter((e) => e.type === 'contentBlockDelta')
      .map((e) => e.payload.delta.toolUse.input)
      .join('');
    expect(JSON.parse(input)).toEqual({ query: 'use a tool' });
    expect(events.find((e) => e.type === 'messageStop')!.payload).toEqual({ stopReason: 'tool_use' });

    upstream.script(MODEL_ID, { cutStreamAfter: 2 });
    const cut = await converse(userTurn('one two three four'), { stream: true });
    const reader = cut.body!.getReader();
    const received: Uint8Array[] = [];
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received.push(value);
        }
      })(),
    ).rejects.toThrow();
    expect(frames(Buffer.concat(received)).map((e) => e.type)).toEqual(['messageStart', 'contentBlockDelta']);
  });
});

const VERTEX_MODEL = 'gemini-2.0-flash';
const vertexPath = (method: string) => `/v1/projects/p/locations/us-central1/publishers/google/models/${VERTEX_MODEL}:${method}`;

function generate(
  body: unknown,
  { stream = false, authorization = 'Bearer ya29.token' }: { stream?: boolean; authorization?: string } = {},
): Promise<Response> {
  return fetch(`${upstream.url}${vertexPath(stream ? 'streamGenerateContent?alt=sse' : 'generateContent')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
}

const contents = (text: string) => ({ contents: [{ role: 'user', parts: [{ text }] }] });

describe('Vertex AI generateContent', () => {
  it('answers a request with a bearer token with the deterministic reply and usage', async () => {
    const res = await generate({ ...contents('hi gemini'), systemInstruction: { parts: [{ text: 'Be brief.' }] } });
    expect(res.status).toBe(200);
    expect((await res.json()) as any).toMatchObject({
      candidates: [{ content: { role: 'model', parts: [{ text: `Reply to "hi gemini" from ${VERTEX_MODEL}` }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 6, totalTokenCount: 10 },
      modelVersion: VERTEX_MODEL,
    });
    expect(upstream.calls[0]).toMatchObject({ path: vertexPath('generateContent'), model: VERTEX_MODEL });
  });

  it('refuses a request without a bearer token, and Bearer bad-key, as Google does', async () => {
    for (const authorization of ['', 'Bearer bad-key']) {
      const res = await generate(contents('x'), { authorization });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    }
  });

  it('calls the function asked for, cuts at maxOutputTokens, and answers scripted errors in Google shape', async () => {
    const tools = [{ functionDeclarations: [{ name: 'search' }, { name: 'other' }] }];
    const called = (await (
      await generate({ ...contents('find it'), tools, toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['other'] } } })
    ).json()) as any;
    expect(called.candidates[0].content.parts).toEqual([{ functionCall: { name: 'other', args: { query: 'find it' } } }]);

    const cut = (await (await generate({ ...contents('a b'), generationConfig: { maxOutputTokens: 2 } })).json()) as any;
    expect(cut.candidates[0]).toMatchObject({ finishReason: 'MAX_TOKENS', content: { parts: [{ text: 'Reply to' }] } });

    upstream.script(VERTEX_MODEL, { status: 429 });
    const limited = await generate(contents('x'));
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as any).error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
  });

  it('streams streamGenerateContent?alt=sse as responses whose text adds up, the last with finishReason and usage', async () => {
    const res = await generate(contents('stream it'), { stream: true });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(upstream.calls[0]!.url).toBe(vertexPath('streamGenerateContent?alt=sse'));
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((block) => JSON.parse(block.replace(/^data: /, '')));
    expect(events.length).toBeGreaterThan(2);
    expect(events.map((e) => e.candidates[0].content.parts[0].text).join('')).toBe(`Reply to "stream it" from ${VERTEX_MODEL}`);
    expect(events.slice(0, -1).every((e) => e.candidates[0].finishReason === undefined && e.usageMetadata === undefined)).toBe(true);
    expect(events.at(-1)).toMatchObject({ candidates: [{ finishReason: 'STOP' }], usageMetadata: { candidatesTokenCount: 6 } });
  });

  it('blocks a prompt that says so: a 200 with promptFeedback.blockReason and no candidates, streamed as one event', async () => {
    const blocked = (await (await generate(contents(`please ${SAFETY_BLOCK_PHRASE}`))).json()) as any;
    expect(blocked).toMatchObject({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } });
    expect(blocked).not.toHaveProperty('candidates');
    const events = (await (await generate(contents(`please ${SAFETY_BLOCK_PHRASE}`), { stream: true })).text()).split('\n\n').filter(Boolean);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.replace(/^data: /, ''))).toMatchObject({ promptFeedback: { blockReason: 'SAFETY' } });
  });
});

describe('OAuth token endpoint', () => {
  it('answers any grant with a fresh bearer token, and 400 without a grant_type', async () => {
    const ask = (form: Record<string, string>) =>
      fetch(upstream.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
    const first = (await (await ask({ grant_type: 'refresh_token', refresh_token: 'r' })).json()) as any;
    const second = (await (await ask({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'a.b.c' })).json()) as any;
    expect(first).toMatchObject({ access_token: expect.stringMatching(/^upstream-token-\d+$/), expires_in: TOKEN_LIFETIME_SECONDS, token_type: 'Bearer' });
    expect(second.access_token).not.toBe(first.access_token);
    expect(upstream.calls[0]).toMatchObject({ path: '/token', body: { grant_type: 'refresh_token', refresh_token: 'r' } });
    expect((await ask({})).status).toBe(400);
  });
});
