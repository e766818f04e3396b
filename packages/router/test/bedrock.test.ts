import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from '@llmcache/core';
import {
  APIConnectionError,
  AuthenticationError,
  assembleChunks,
  BadRequestError,
  ContextWindowExceededError,
  InternalServerError,
  PermissionDeniedError,
  RateLimitError,
  Router,
  TimeoutError,
  type ChatCompletionChunk,
  type DeploymentParams,
  type FunctionTool,
} from '@llmcache/router';
import { startUpstream } from '@llmcache/test-upstream';
import { ask, collect, functionCall, useUpstream } from './helpers';

const upstream = useUpstream();
const MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
const tools: FunctionTool[] = [
  { type: 'function', function: { name: 'search', description: 'Search the web', parameters: { type: 'object', properties: { query: { type: 'string' } } } } },
];

/** A Bedrock deployment on the local upstream, signed with static test credentials. */
function bedrock(extra: Partial<DeploymentParams> = {}): DeploymentParams {
  return {
    model: `bedrock/${MODEL_ID}`,
    apiBase: upstream().url,
    awsRegionName: 'us-east-1',
    awsAccessKeyId: 'AKIDTEST',
    awsSecretAccessKey: 'test-secret',
    ...extra,
  };
}

const routerOf = (params: DeploymentParams = bedrock(), cache?: Cache) =>
  new Router({ modelList: [{ modelName: 'claude', params }], numRetries: 0, ...(cache ? { cache } : {}) });

describe('bedrock/ (Converse API)', () => {
  it('sends a SigV4-signed Converse request and answers in OpenAI shape', async () => {
    const res = await routerOf().completion({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi bedrock' },
      ],
      max_tokens: 100,
      temperature: 0.5,
      stop: 'END',
    });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message).toMatchObject({ role: 'assistant', content: `Reply to "hi bedrock" from ${MODEL_ID}` });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    expect(res.usage!.completion_tokens).toBeGreaterThan(0);
    const call = upstream().calls[0]!;
    expect(call.path).toBe(`/model/${encodeURIComponent(MODEL_ID)}/converse`);
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=/);
    expect(call.body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'hi bedrock' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 100, temperature: 0.5, stopSequences: ['END'] },
    });
  });

  it("takes LiteLLM's snake_case aws_* params, and never sends them", async () => {
    const res = await routerOf({
      model: `bedrock/converse/${MODEL_ID}`,
      apiBase: upstream().url,
      aws_region_name: 'eu-west-3',
      aws_access_key_id: 'AKIDSNAKE',
      aws_secret_access_key: 's',
      aws_session_token: 'tok',
    }).completion({ model: 'claude', messages: ask('snake') });
    expect(res.choices[0]!.message.content).toBe(`Reply to "snake" from ${MODEL_ID}`);
    const call = upstream().calls[0]!;
    expect(call.headers.authorization).toMatch(/Credential=AKIDSNAKE\/\d{8}\/eu-west-3\/bedrock\//);
    expect(call.headers['x-amz-security-token']).toBe('tok');
    expect(JSON.stringify(call.body)).not.toMatch(/aws|AKID/);
  });

  it("finds credentials through AWS's default chain (the environment) and a named profile (awsProfileName)", async () => {
    const saved = { ...process.env };
    const dir = mkdtempSync(join(tmpdir(), 'llmcache-aws-'));
    try {
      process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
      process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
      await routerOf({ model: `bedrock/${MODEL_ID}`, apiBase: upstream().url, awsRegionName: 'ap-south-1' }).completion({
        model: 'claude',
        messages: ask('env'),
      });
      expect(upstream().calls[0]!.headers.authorization).toMatch(/Credential=AKIDFROMENV\/\d{8}\/ap-south-1\//);

      writeFileSync(join(dir, 'credentials'), '[llmcache-test]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret\n');
      writeFileSync(join(dir, 'config'), '[profile llmcache-test]\nregion = sa-east-1\n');
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
      process.env.AWS_CONFIG_FILE = join(dir, 'config');
      await routerOf({ model: `bedrock/${MODEL_ID}`, apiBase: upstream().url, aws_profile_name: 'llmcache-test' }).completion({
        model: 'claude',
        messages: ask('profile'),
      });
      // The profile gives both the keys and the region.
      expect(upstream().calls[1]!.headers.authorization).toMatch(/Credential=AKIDFROMPROFILE\/\d{8}\/sa-east-1\//);
    } finally {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('streams ConverseStream events as chat.completion.chunks, with usage when asked', async () => {
    const stream = await routerOf().completion({ model: 'claude', messages: ask('stream me please'), stream: true, stream_options: { include_usage: true } });
    const chunks = await collect<ChatCompletionChunk>(stream);
    expect(upstream().calls[0]!.path).toBe(`/model/${encodeURIComponent(MODEL_ID)}/converse-stream`);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    const whole = assembleChunks(chunks);
    expect(whole.choices[0]!.message.content).toBe(`Reply to "stream me please" from ${MODEL_ID}`);
    expect(whole.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: 7 });
  });

  it('maps max tokens to finish_reason length', async () => {
    const res = await routerOf().completion({ model: 'claude', messages: ask('a b c'), max_tokens: 2 });
    expect(res.choices[0]!).toMatchObject({ finish_reason: 'length', message: { content: 'Reply to' } });
  });

  it('translates tools, tool calls and tool results both ways, streamed too', async () => {
    const res = await routerOf().completion({ model: 'claude', messages: ask('please use a tool'), tools, tool_choice: 'required' });
    const call = functionCall(res.choices[0]!.message.tool_calls![0]);
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'search' } });
    expect(JSON.parse(call.function.arguments)).toEqual({ query: 'please use a tool' });
    expect(upstream().calls[0]!.body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'search', description: 'Search the web', inputSchema: { json: tools[0]!.function.parameters } } }],
      toolChoice: { any: {} },
    });

    const streamed = assembleChunks(await collect(await routerOf().completion({ model: 'claude', messages: ask('use a tool now'), tools, stream: true })));
    expect(streamed.choices[0]!.finish_reason).toBe('tool_calls');
    expect(JSON.parse(streamed.choices[0]!.message.tool_calls![0]!.function.arguments)).toEqual({ query: 'use a tool now' });

    upstream().reset();
    await routerOf().completion({
      model: 'claude',
      tools,
      messages: [
        { role: 'user', content: 'use a tool' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'found it' },
      ],
    });
    expect(upstream().calls[0]!.body.messages).toEqual([
      { role: 'user', content: [{ text: 'use a tool' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: call.id, name: 'search', input: { query: 'please use a tool' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: call.id, content: [{ text: 'found it' }] } }] },
    ]);
  });

  it.each([
    [429, RateLimitError, 'ThrottlingException'],
    [400, BadRequestError, 'ValidationException'],
    [403, PermissionDeniedError, 'AccessDeniedException'],
    [500, InternalServerError, 'InternalServerException'],
    [503, InternalServerError, 'ServiceUnavailableException'],
  ])('types a %i (%p) by the Bedrock error name', async (status, type, code) => {
    upstream().script(MODEL_ID, { status, message: `scripted ${status}` });
    const err = await routerOf()
      .completion({ model: 'claude', messages: ask('x') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ status, provider: 'bedrock', code });
    expect((err as Error).message).toContain(`scripted ${status}`);
  });

  it('types a prompt over the context window as a ContextWindowExceededError', async () => {
    const err = await routerOf()
      .completion({ model: 'claude', messages: ask('this would exceed the context window') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContextWindowExceededError);
    expect(err).toMatchObject({ status: 400, code: 'ValidationException' });
  });

  it('types refused credentials as an AuthenticationError (401)', async () => {
    const err = await routerOf(bedrock({ awsAccessKeyId: 'bad-key' }))
      .completion({ model: 'claude', messages: ask('x') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401, provider: 'bedrock', code: 'UnrecognizedClientException' });
  });

  it('a stream that breaks off throws an APIConnectionError and is not cached', async () => {
    const cache = new Cache();
    const router = routerOf(bedrock(), cache);
    upstream().script(MODEL_ID, { cutStreamAfter: 2 });
    const stream = await router.completion({ model: 'claude', messages: ask('cut me'), stream: true });
    await expect(collect(stream)).rejects.toBeInstanceOf(APIConnectionError);
    const again = await router.completion({ model: 'claude', messages: ask('cut me') });
    expect(again._hiddenParams.cacheHit).toBe(false);
  });

  it('the router timeout aborts a slow call as a TimeoutError (408), streamed or not', async () => {
    upstream().setLatency(MODEL_ID, 5_000);
    const started = Date.now();
    const err = await routerOf()
      .completion({ model: 'claude', messages: ask('slow'), timeout: 0.2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ status: 408 });
    const streamErr = await routerOf()
      .completion({ model: 'claude', messages: ask('slow'), stream: true, timeout: 0.2 })
      .then(collect)
      .catch((e: unknown) => e);
    expect(streamErr).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('caches: a repeated call is a hit that makes no request', async () => {
    const router = routerOf(bedrock(), new Cache());
    const first = await router.completion({ model: 'claude', messages: ask('cache me') });
    const second = await router.completion({ model: 'claude', messages: ask('cache me') });
    expect(first._hiddenParams.cacheHit).toBe(false);
    expect(second._hiddenParams.cacheHit).toBe(true);
    expect(second.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    const streamed = assembleChunks(await collect(await router.completion({ model: 'claude', messages: ask('cache me'), stream: true })));
    expect(streamed.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(upstream().callCount()).toBe(1);
  });

  it('a malformed 200 is an InternalServerError, never an answer', async () => {
    upstream().script(MODEL_ID, { body: { output: { message: { content: 'not blocks' } } } });
    const err = await routerOf()
      .completion({ model: 'claude', messages: ask('x') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect((err as Error).message).toMatch(/output\.message\.content: expected an array/);
  });
});

describe('bedrock/ clients', () => {
  it("router.close() releases the router's Bedrock client: its kept-alive connection closes", async () => {
    // An upstream of its own, so that no other client's connection is counted.
    const own = await startUpstream();
    try {
      const router = new Router({ modelList: [{ modelName: 'claude', params: { ...bedrock(), apiBase: own.url } }], numRetries: 0 });
      await router.completion({ model: 'claude', messages: ask('keep alive') });
      expect(own.openConnections()).toBe(1);
      await router.close();
      // Bounded: Node's server would close an idle kept-alive connection only after 5 s.
      for (let i = 0; i < 100 && own.openConnections() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(own.openConnections()).toBe(0);
    } finally {
      await own.close();
    }
  });
});
