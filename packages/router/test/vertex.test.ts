import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from '@llmcache/core';
import {
  APIConnectionError,
  assembleChunks,
  BadRequestError,
  ContextWindowExceededError,
  InternalServerError,
  PermissionDeniedError,
  RateLimitError,
  Router,
  TimeoutError,
  RouterConfigError,
  type ChatCompletionChunk,
  type DeploymentParams,
  type FunctionTool,
} from '@llmcache/router';
import { SAFETY_BLOCK_PHRASE } from '@llmcache/test-upstream';
import { ask, collect, functionCall, useUpstream } from './helpers';

const upstream = useUpstream();
const MODEL = 'gemini-2.0-flash';
const tools: FunctionTool[] = [
  { type: 'function', function: { name: 'search', description: 'Search the web', parameters: { type: 'object', properties: { query: { type: 'string' } } } } },
];
const generatePath = (project = 'my-project', location = 'europe-west4') =>
  `/v1/projects/${project}/locations/${location}/publishers/google/models/${MODEL}:generateContent`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmcache-vertex-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Workforce-identity user credentials (what `gcloud auth login --cred-file` writes) whose token URL is the
 * test upstream: google-auth-library trades the refresh token there for the bearer token it sends to Vertex AI.
 * (A service account's `token_uri` is not read by google-auth-library 10, which posts to oauth2.googleapis.com.)
 */
function externalAccount(): Record<string, unknown> {
  return {
    type: 'external_account_authorized_user',
    audience: '//iam.googleapis.com/locations/global/workforcePools/pool/providers/test',
    client_id: 'client-id',
    client_secret: 'client-secret',
    refresh_token: 'refresh-token-of-the-user',
    token_url: upstream().tokenUrl,
  };
}

function vertex(extra: Partial<DeploymentParams> = {}): DeploymentParams {
  return {
    model: `vertex_ai/${MODEL}`,
    apiBase: upstream().url,
    vertexProject: 'my-project',
    vertexLocation: 'europe-west4',
    vertexCredentials: externalAccount(),
    ...extra,
  };
}

const routerOf = (params: DeploymentParams = vertex(), cache?: Cache) =>
  new Router({ modelList: [{ modelName: 'gemini', params }], numRetries: 0, ...(cache ? { cache } : {}) });

const vertexCalls = () => upstream().calls.filter((call) => call.path !== '/token');

describe('vertex_ai/ (Gemini generateContent)', () => {
  it('gets a token from the credentials, then calls generateContent with it and answers in OpenAI shape', async () => {
    const router = routerOf();
    const res = await router.completion({
      model: 'gemini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi gemini' },
      ],
      max_tokens: 50,
      temperature: 0.2,
      stop: ['END'],
    });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message).toMatchObject({ role: 'assistant', content: `Reply to "hi gemini" from ${MODEL}` });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ completion_tokens: 6, total_tokens: res.usage!.prompt_tokens + 6 });

    const token = upstream().calls.find((call) => call.path === '/token')!;
    expect(token.body).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'refresh-token-of-the-user' });
    const call = vertexCalls()[0]!;
    expect(call.path).toBe(generatePath());
    expect(call.headers.authorization).toMatch(/^Bearer upstream-token-\d+$/);
    expect(call.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hi gemini' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 50, temperature: 0.2, stopSequences: ['END'] },
    });

    // The token is kept until it expires: a second call asks for none.
    await router.completion({ model: 'gemini', messages: ask('again') });
    expect(upstream().callCount({ path: '/token' })).toBe(1);
    expect(vertexCalls()[1]!.headers.authorization).toBe(call.headers.authorization);
  });

  it("takes LiteLLM's snake_case vertex_* params (credentials as a JSON string), and never sends them", async () => {
    await routerOf({
      model: `vertex_ai/${MODEL}`,
      apiBase: upstream().url,
      vertex_project: 'snake-project',
      vertex_location: 'us-east5',
      vertex_credentials: JSON.stringify(externalAccount()),
    }).completion({ model: 'gemini', messages: ask('snake') });
    const call = vertexCalls()[0]!;
    expect(call.path).toBe(generatePath('snake-project', 'us-east5'));
    expect(JSON.stringify(call.body)).not.toMatch(/vertex|refresh-token|external_account/);
  });

  it('signs with a service account key file (vertexCredentials as a path)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const file = join(dir, 'service-account.json');
    // Outside googleapis.com's universe the library signs its own JWT instead of exchanging it: no token endpoint, checkable here.
    writeFileSync(
      file,
      JSON.stringify({
        type: 'service_account',
        project_id: 'sa-project',
        private_key_id: 'key-1',
        client_email: 'router@sa-project.iam.gserviceaccount.com',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        token_uri: upstream().tokenUrl,
        universe_domain: 'example.test',
      }),
    );
    const res = await routerOf(vertex({ vertexCredentials: file, vertexProject: undefined })).completion({ model: 'gemini', messages: ask('service account') });
    expect(res.choices[0]!.message.content).toBe(`Reply to "service account" from ${MODEL}`);
    const call = vertexCalls()[0]!;
    // The project comes from the key file when vertexProject is not set.
    expect(call.path).toBe(generatePath('sa-project'));
    const jwt = String(call.headers.authorization).replace(/^Bearer /, '');
    const [header, claims, signature] = jwt.split('.');
    expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toMatchObject({ iss: 'router@sa-project.iam.gserviceaccount.com' });
    expect(verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature!, 'base64url'))).toBe(true);
  });

  it('credentials that cannot be read are a RouterConfigError naming vertexCredentials, not retried', async () => {
    const err = await routerOf(vertex({ vertexCredentials: join(dir, 'no-such-file.json') }))
      .completion({ model: 'gemini', messages: ask('x') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterConfigError);
    expect((err as Error).message).toMatch(/params\.vertexCredentials: cannot be used: .*no-such-file/);
    expect(vertexCalls()).toHaveLength(0);
  });

  it('streams streamGenerateContent?alt=sse as chat.completion.chunks, with usage when asked', async () => {
    const stream = await routerOf().completion({ model: 'gemini', messages: ask('stream me please'), stream: true, stream_options: { include_usage: true } });
    const chunks = await collect<ChatCompletionChunk>(stream);
    expect(vertexCalls()[0]!.url).toBe(`${generatePath().replace(':generateContent', ':streamGenerateContent')}?alt=sse`);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(2);
    const whole = assembleChunks(chunks);
    expect(whole.choices[0]!.message.content).toBe(`Reply to "stream me please" from ${MODEL}`);
    expect(whole.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 7 });
  });

  it('maps MAX_TOKENS to finish_reason length', async () => {
    const res = await routerOf().completion({ model: 'gemini', messages: ask('a b c'), max_tokens: 2 });
    expect(res.choices[0]!).toMatchObject({ finish_reason: 'length', message: { content: 'Reply to' } });
  });

  it('translates tools, function calls and function responses both ways, streamed too', async () => {
    const res = await routerOf().completion({
      model: 'gemini',
      messages: ask('please use a tool'),
      tools,
      tool_choice: { type: 'function', function: { name: 'search' } },
    });
    const call = functionCall(res.choices[0]!.message.tool_calls![0]);
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'search' } });
    expect(JSON.parse(call.function.arguments)).toEqual({ query: 'please use a tool' });
    const body = vertexCalls()[0]!.body;
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: 'search', description: 'Search the web', parameters: tools[0]!.function.parameters }] }]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['search'] } });

    const streamed = assembleChunks(await collect(await routerOf().completion({ model: 'gemini', messages: ask('use a tool now'), tools, stream: true })));
    expect(streamed.choices[0]!.finish_reason).toBe('tool_calls');
    expect(JSON.parse(streamed.choices[0]!.message.tool_calls![0]!.function.arguments)).toEqual({ query: 'use a tool now' });

    upstream().reset();
    await routerOf().completion({
      model: 'gemini',
      tools,
      messages: [
        { role: 'user', content: 'use a tool' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'found it' },
      ],
    });
    expect(vertexCalls()[0]!.body.contents).toEqual([
      { role: 'user', parts: [{ text: 'use a tool' }] },
      { role: 'model', parts: [{ functionCall: { name: 'search', args: { query: 'please use a tool' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'search', response: { content: 'found it' } } }] },
    ]);
  });

  it.each([
    [429, RateLimitError, 'Resource exhausted'],
    [400, BadRequestError, 'invalid argument'],
    [403, PermissionDeniedError, 'Permission denied'],
    [500, InternalServerError, 'Internal error'],
  ])("types a %i as %p with Google's message", async (status, type, message) => {
    upstream().script(MODEL, { status });
    const err = await routerOf()
      .completion({ model: 'gemini', messages: ask('x') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ status, provider: 'vertex_ai' });
    expect((err as Error).message).toContain(message);
  });

  it('types a prompt over the context window as a ContextWindowExceededError', async () => {
    const err = await routerOf()
      .completion({ model: 'gemini', messages: ask('this would exceed the context window') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContextWindowExceededError);
    expect(err).toMatchObject({ status: 400, provider: 'vertex_ai' });
  });

  it('a stream that breaks off throws an APIConnectionError and is not cached', async () => {
    const cache = new Cache();
    const router = routerOf(vertex(), cache);
    upstream().script(MODEL, { cutStreamAfter: 2 });
    const stream = await router.completion({ model: 'gemini', messages: ask('cut me off'), stream: true });
    await expect(collect(stream)).rejects.toBeInstanceOf(APIConnectionError);
    const again = await router.completion({ model: 'gemini', messages: ask('cut me off') });
    expect(again._hiddenParams.cacheHit).toBe(false);
  });

  it('the router timeout aborts a slow call as a TimeoutError (408), streamed or not', async () => {
    upstream().setLatency(MODEL, 5_000);
    const started = Date.now();
    const err = await routerOf()
      .completion({ model: 'gemini', messages: ask('slow'), timeout: 0.2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ status: 408 });
    const streamErr = await routerOf()
      .completion({ model: 'gemini', messages: ask('slow'), stream: true, timeout: 0.2 })
      .then(collect)
      .catch((e: unknown) => e);
    expect(streamErr).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('caches: a repeated call is a hit that makes no request', async () => {
    const router = routerOf(vertex(), new Cache());
    const first = await router.completion({ model: 'gemini', messages: ask('cache me') });
    const second = await router.completion({ model: 'gemini', messages: ask('cache me') });
    expect([first._hiddenParams.cacheHit, second._hiddenParams.cacheHit]).toEqual([false, true]);
    expect(second.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(vertexCalls()).toHaveLength(1);
  });

  it('a 200 without candidates (and no block reason) is an InternalServerError, never an answer', async () => {
    upstream().script(MODEL, { body: { usageMetadata: { promptTokenCount: 3 } } });
    const err = await routerOf()
      .completion({ model: 'gemini', messages: ask('x') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect((err as Error).message).toMatch(/candidates: expected a non-empty array/);
  });

  it('a prompt Gemini blocks is a content_filter answer with no content, as LiteLLM makes it: not retried, not stored', async () => {
    const router = new Router({ modelList: [{ modelName: 'gemini', params: vertex() }], cache: new Cache() });
    const res = await router.completion({ model: 'gemini', messages: ask(`please ${SAFETY_BLOCK_PHRASE}`) });
    expect(res.choices).toEqual([{ index: 0, message: { role: 'assistant', content: null, refusal: null }, logprobs: null, finish_reason: 'content_filter' }]);
    expect(res.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 0 });
    const chunks = await collect(await router.completion({ model: 'gemini', messages: ask(`stream ${SAFETY_BLOCK_PHRASE}`), stream: true }));
    expect(assembleChunks(chunks).choices[0]).toMatchObject({ message: { content: '' }, finish_reason: 'content_filter' });
    // One request each (the default two retries were not spent), and the next identical call goes upstream again.
    expect(vertexCalls()).toHaveLength(2);
    expect((await router.completion({ model: 'gemini', messages: ask(`please ${SAFETY_BLOCK_PHRASE}`) }))._hiddenParams.cacheHit).toBe(false);
    await router.close();
  });

  it('a candidate stopped for SAFETY without text is a content_filter choice with no content', async () => {
    upstream().script(MODEL, {
      body: {
        candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }] }],
        usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 },
      },
    });
    const res = await routerOf().completion({ model: 'gemini', messages: ask('x') });
    expect(res.choices[0]).toEqual({ index: 0, message: { role: 'assistant', content: null, refusal: null }, logprobs: null, finish_reason: 'content_filter' });
  });
});
