// Every OpenAI-compatible provider prefix, called over real sockets on the local upstream: its endpoint from
// its base-URL environment variable, its key from its key variable, each call type its row says it has.
import { assembleChunks, BadRequestError, Router, RouterConfigError } from '@llmcache/router';
import { COMPATIBLE_PROVIDERS } from '../src/providers';
import { ask, collect, useUpstream } from './helpers';

const upstream = useUpstream();

type Call = 'chat' | 'text_completion' | 'embedding' | 'transcription';

/**
 * What LiteLLM's source reads for each prefix (the first key variable it tries, a base variable), and the calls
 * the API has. `root`: the variable names the server root and the row adds its API path (`apiPath`).
 */
const ROWS: Array<{ prefix: string; keyEnv: string; baseEnv: string; calls: Call[]; root?: boolean; apiPath?: string; chatPath?: string }> = [
  { prefix: 'openai', keyEnv: 'OPENAI_API_KEY', baseEnv: 'OPENAI_BASE_URL', calls: ['chat', 'text_completion', 'embedding', 'transcription'] },
  // Instruct models: chat goes to /completions, as LiteLLM sends it.
  { prefix: 'text-completion-openai', keyEnv: 'OPENAI_API_KEY', baseEnv: 'OPENAI_API_BASE', calls: ['chat', 'text_completion'], chatPath: '/v1/completions' },
  { prefix: 'custom_openai', keyEnv: 'OPENAI_API_KEY', baseEnv: 'OPENAI_API_BASE', calls: ['chat', 'text_completion', 'embedding'] },
  { prefix: 'openrouter', keyEnv: 'OPENROUTER_API_KEY', baseEnv: 'OPENROUTER_API_BASE', calls: ['chat', 'text_completion'] },
  { prefix: 'groq', keyEnv: 'GROQ_API_KEY', baseEnv: 'GROQ_API_BASE', calls: ['chat', 'transcription'] },
  // LiteLLM adds /v1 to a Mistral endpoint without it.
  { prefix: 'mistral', keyEnv: 'MISTRAL_AZURE_API_KEY', baseEnv: 'MISTRAL_AZURE_API_BASE', calls: ['chat', 'embedding'], root: true },
  { prefix: 'together_ai', keyEnv: 'TOGETHER_API_KEY', baseEnv: 'TOGETHER_AI_API_BASE', calls: ['chat', 'text_completion', 'embedding'] },
  { prefix: 'deepseek', keyEnv: 'DEEPSEEK_API_KEY', baseEnv: 'DEEPSEEK_API_BASE', calls: ['chat'] },
  { prefix: 'fireworks_ai', keyEnv: 'FIREWORKS_API_KEY', baseEnv: 'FIREWORKS_API_BASE', calls: ['chat', 'text_completion', 'embedding'] },
  { prefix: 'perplexity', keyEnv: 'PERPLEXITYAI_API_KEY', baseEnv: 'PERPLEXITY_API_BASE', calls: ['chat'] },
  { prefix: 'xai', keyEnv: 'XAI_API_KEY', baseEnv: 'XAI_API_BASE', calls: ['chat'] },
  { prefix: 'deepinfra', keyEnv: 'DEEPINFRA_API_KEY', baseEnv: 'DEEPINFRA_API_BASE', calls: ['chat', 'text_completion', 'embedding'] },
  { prefix: 'cerebras', keyEnv: 'CEREBRAS_API_KEY', baseEnv: 'CEREBRAS_API_BASE', calls: ['chat', 'text_completion'] },
  { prefix: 'nvidia_nim', keyEnv: 'NVIDIA_NIM_API_KEY', baseEnv: 'NVIDIA_NIM_API_BASE', calls: ['chat', 'embedding'] },
  { prefix: 'huggingface', keyEnv: 'HF_TOKEN', baseEnv: 'HF_API_BASE', calls: ['chat'] },
  // GEMINI_API_BASE is Google AI Studio's root; its OpenAI-compatible API is under /v1beta/openai.
  { prefix: 'gemini', keyEnv: 'GOOGLE_API_KEY', baseEnv: 'GEMINI_API_BASE', calls: ['chat', 'embedding'], root: true, apiPath: '/v1beta/openai' },
  { prefix: 'hosted_vllm', keyEnv: 'HOSTED_VLLM_API_KEY', baseEnv: 'HOSTED_VLLM_API_BASE', calls: ['chat', 'text_completion', 'embedding', 'transcription'] },
  { prefix: 'lm_studio', keyEnv: 'LM_STUDIO_API_KEY', baseEnv: 'LM_STUDIO_API_BASE', calls: ['chat', 'text_completion', 'embedding'] },
];

/** Every variable a row reads, so that one from the machine's environment cannot stand in for the one under test. */
const ENV_NAMES = [
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'OPENAI_API_BASE',
  'OPENROUTER_API_KEY',
  'OR_API_KEY',
  'OPENROUTER_API_BASE',
  'GROQ_API_KEY',
  'GROQ_API_BASE',
  'MISTRAL_AZURE_API_KEY',
  'MISTRAL_API_KEY',
  'MISTRAL_AZURE_API_BASE',
  'TOGETHER_API_KEY',
  'TOGETHER_AI_API_KEY',
  'TOGETHERAI_API_KEY',
  'TOGETHER_AI_TOKEN',
  'TOGETHER_AI_API_BASE',
  'DEEPSEEK_API_KEY',
  'DEEPSEEK_API_BASE',
  'FIREWORKS_API_KEY',
  'FIREWORKS_AI_API_KEY',
  'FIREWORKSAI_API_KEY',
  'FIREWORKS_AI_TOKEN',
  'FIREWORKS_API_BASE',
  'PERPLEXITYAI_API_KEY',
  'PERPLEXITY_API_KEY',
  'PERPLEXITY_API_BASE',
  'XAI_API_KEY',
  'XAI_API_BASE',
  'DEEPINFRA_API_KEY',
  'DEEPINFRA_API_BASE',
  'CEREBRAS_API_KEY',
  'CEREBRAS_API_BASE',
  'NVIDIA_NIM_API_KEY',
  'NVIDIA_NIM_API_BASE',
  'HF_TOKEN',
  'HUGGINGFACE_API_KEY',
  'HF_API_BASE',
  'HUGGINGFACE_API_BASE',
  'GOOGLE_API_KEY',
  'GEMINI_API_KEY',
  'GEMINI_API_BASE',
  'HOSTED_VLLM_API_KEY',
  'HOSTED_VLLM_API_BASE',
  'LM_STUDIO_API_KEY',
  'LM_STUDIO_API_BASE',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_API_BASE',
];

const saved = new Map(ENV_NAMES.map((name) => [name, process.env[name]]));
beforeEach(() => ENV_NAMES.forEach((name) => delete process.env[name]));
afterAll(() => saved.forEach((value, name) => (value === undefined ? delete process.env[name] : (process.env[name] = value))));

const routers: Router[] = [];
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

function routerFor(model: string, params: Record<string, unknown> = {}): Router {
  const router = new Router({ modelList: [{ modelName: 'm', params: { model, ...params } }], numRetries: 0 });
  routers.push(router);
  return router;
}

const bearer = (i: number) => upstream().calls[i]!.headers.authorization;

describe.each(ROWS)('$prefix/', (row) => {
  const key = `key-of-${row.prefix}`;
  beforeEach(() => {
    process.env[row.keyEnv] = key;
    process.env[row.baseEnv] = row.root ? upstream().url : upstream().openaiBase;
  });

  if (row.calls.includes('chat')) {
    it('answers a chat completion and a stream, with the key of its variable', async () => {
      const router = routerFor(`${row.prefix}/some-model`);
      const res = await router.completion({ model: 'm', messages: ask('hello table') });
      expect(res.choices[0]!.message.content).toBe('Reply to "hello table" from some-model');
      const chunks = await collect(await router.completion({ model: 'm', messages: ask('stream table'), stream: true }));
      expect(assembleChunks(chunks).choices[0]!.message.content).toBe('Reply to "stream table" from some-model');
      const path = row.chatPath ?? `${row.apiPath ?? '/v1'}/chat/completions`;
      expect(upstream().calls.map((c) => [c.path, c.body.model, c.body.stream])).toEqual([
        [path, 'some-model', false],
        [path, 'some-model', true],
      ]);
      expect([bearer(0), bearer(1)]).toEqual([`Bearer ${key}`, `Bearer ${key}`]);
    });
  } else {
    it('refuses a chat completion without calling', async () => {
      const err = await routerFor(`${row.prefix}/some-model`)
        .completion({ model: 'm', messages: ask('x') })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as Error).message).toContain(`${row.prefix} has no /chat/completions API`);
      expect(upstream().calls).toHaveLength(0);
    });
  }

  if (row.calls.includes('embedding')) {
    it('answers embeddings', async () => {
      const res = await routerFor(`${row.prefix}/embed-model`).embedding({ model: 'm', input: ['one', 'two'] });
      expect(res.data.map((d) => d.index)).toEqual([0, 1]);
      expect(upstream().calls.map((c) => [c.path, c.body.model])).toEqual([[`${row.apiPath ?? '/v1'}/embeddings`, 'embed-model']]);
      expect(bearer(0)).toBe(`Bearer ${key}`);
    });
  } else {
    it('refuses embeddings without calling', async () => {
      const err = await routerFor(`${row.prefix}/embed-model`)
        .embedding({ model: 'm', input: 'x' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as Error).message).toContain(`${row.prefix} has no /embeddings API`);
      expect(upstream().calls).toHaveLength(0);
    });
  }

  if (row.calls.includes('text_completion')) {
    it('answers a text completion', async () => {
      const res = await routerFor(`${row.prefix}/instruct-model`).textCompletion({ model: 'm', prompt: 'complete me' });
      expect(typeof res.choices[0]!.text).toBe('string');
      expect(upstream().calls.map((c) => [c.path, c.body.model])).toEqual([['/v1/completions', 'instruct-model']]);
      expect(bearer(0)).toBe(`Bearer ${key}`);
    });
  }

  if (row.calls.includes('transcription')) {
    it('answers a transcription', async () => {
      const res = await routerFor(`${row.prefix}/whisper-model`).transcription({ model: 'm', file: Buffer.from('audio bytes') });
      expect(typeof res.text).toBe('string');
      expect(upstream().calls.map((c) => [c.path, c.model])).toEqual([['/v1/audio/transcriptions', 'whisper-model']]);
      expect(bearer(0)).toBe(`Bearer ${key}`);
    });
  }
});

describe('provider table', () => {
  it('apiBase and apiKey in params win over the environment', async () => {
    process.env.GROQ_API_KEY = 'from-env';
    process.env.GROQ_API_BASE = 'http://127.0.0.1:9/never';
    const router = routerFor('groq/llama', { apiBase: upstream().openaiBase, apiKey: 'from-params' });
    await router.completion({ model: 'm', messages: ask('x') });
    expect(upstream().calls[0]!.path).toBe('/v1/chat/completions');
    expect(bearer(0)).toBe('Bearer from-params');
  });

  it('a second key variable of a row is read when the first is unset', async () => {
    process.env.HUGGINGFACE_API_KEY = 'hf-second';
    await routerFor('huggingface/meta-llama/Llama-3.1-8B-Instruct', { apiBase: upstream().openaiBase }).completion({ model: 'm', messages: ask('x') });
    expect(bearer(0)).toBe('Bearer hf-second');
    // The model keeps its own slashes.
    expect(upstream().calls[0]!.body.model).toBe('meta-llama/Llama-3.1-8B-Instruct');
  });

  it("the key variables are read in LiteLLM's order: the first one set wins", async () => {
    process.env.FIREWORKS_AI_API_KEY = 'second';
    process.env.FIREWORKS_API_KEY = 'first';
    process.env.GEMINI_API_KEY = 'gemini-second';
    process.env.GOOGLE_API_KEY = 'google-first';
    await routerFor('fireworks_ai/llama', { apiBase: upstream().openaiBase }).completion({ model: 'm', messages: ask('x') });
    await routerFor('gemini/gemini-2.0-flash', { apiBase: upstream().url }).completion({ model: 'm', messages: ask('x') });
    expect([bearer(0), bearer(1)]).toEqual(['Bearer first', 'Bearer google-first']);
    // An api_base that already names Gemini's OpenAI path is taken as it is.
    await routerFor('gemini/gemini-2.0-flash', { apiBase: `${upstream().url}/v1beta/openai/` }).completion({ model: 'm', messages: ask('x') });
    expect(upstream().calls[2]!.path).toBe('/v1beta/openai/chat/completions');
  });

  it('lm_studio/ has no default endpoint, as in LiteLLM: it needs apiBase or LM_STUDIO_API_BASE', async () => {
    const err = await routerFor('lm_studio/qwen')
      .completion({ model: 'm', messages: ask('x') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterConfigError);
    expect((err as Error).message).toContain('LM_STUDIO_API_BASE');
  });

  it('a row without a default endpoint needs apiBase or its variable, and says so', async () => {
    const err = await routerFor('hosted_vllm/my-model')
      .completion({ model: 'm', messages: ask('x') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterConfigError);
    expect((err as Error).message).toMatch(/hosted_vllm\/ models need apiBase \(api_base\) or HOSTED_VLLM_API_BASE/);
  });
});

describe('the rows as LiteLLM has them', () => {
  it("default endpoints are the ones LiteLLM's source falls back to (none where it has none)", () => {
    const defaults = Object.fromEntries(COMPATIBLE_PROVIDERS.map((row) => [row.prefix, row.defaultBase]));
    expect(defaults).toStrictEqual({
      openai: 'https://api.openai.com/v1',
      'text-completion-openai': 'https://api.openai.com/v1',
      custom_openai: undefined,
      openrouter: 'https://openrouter.ai/api/v1',
      groq: 'https://api.groq.com/openai/v1',
      mistral: 'https://api.mistral.ai/v1',
      together_ai: 'https://api.together.xyz/v1',
      deepseek: 'https://api.deepseek.com/beta',
      fireworks_ai: 'https://api.fireworks.ai/inference/v1',
      perplexity: 'https://api.perplexity.ai',
      xai: 'https://api.x.ai/v1',
      deepinfra: 'https://api.deepinfra.com/v1/openai',
      cerebras: 'https://api.cerebras.ai/v1',
      nvidia_nim: 'https://integrate.api.nvidia.com/v1',
      huggingface: 'https://router.huggingface.co/v1',
      gemini: 'https://generativelanguage.googleapis.com',
      hosted_vllm: undefined,
      lm_studio: undefined,
    });
  });

  it('mistral/ gets seed as random_seed and max_completion_tokens as max_tokens, as LiteLLM sends them', async () => {
    await routerFor('mistral/mistral-small', { apiBase: upstream().openaiBase }).completion({
      model: 'm',
      messages: ask('x'),
      seed: 7,
      max_completion_tokens: 20,
    });
    const body = upstream().calls[0]!.body;
    expect(body).toMatchObject({ random_seed: 7, max_tokens: 20 });
    expect(body).not.toHaveProperty('seed');
    expect(body).not.toHaveProperty('max_completion_tokens');
  });
});

describe('text-completion-openai/ chat', () => {
  it('sends the messages as one prompt, one message per line, with no chat-only params', async () => {
    const router = routerFor('text-completion-openai/gpt-3.5-turbo-instruct', { apiBase: upstream().openaiBase, apiKey: 'k' });
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Say hi' },
    ];
    const res = await router.completion({ model: 'm', messages, temperature: 0, tools: [{ type: 'function', function: { name: 'f' } }] });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message).toEqual({ role: 'assistant', content: 'Reply to "Be brief.\nSay hi" from gpt-3.5-turbo-instruct', refusal: null });
    expect(res.usage!.total_tokens).toBeGreaterThan(0);
    const body = upstream().calls[0]!.body;
    expect(body).toMatchObject({ prompt: 'Be brief.\nSay hi', temperature: 0, model: 'gpt-3.5-turbo-instruct' });
    expect(body).not.toHaveProperty('messages');
    expect(body).not.toHaveProperty('tools');
    const chunks = await collect(await router.completion({ model: 'm', messages, stream: true, stream_options: { include_usage: true } }));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const whole = assembleChunks(chunks);
    expect(whole.choices[0]!.message.content).toBe('Reply to "Be brief.\nSay hi" from gpt-3.5-turbo-instruct');
    expect(whole.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('model names without a prefix', () => {
  it.each([['gpt-4o-mini'], ['o1-mini'], ['o3-mini'], ['o4-mini'], ['chatgpt-4o-latest'], ['text-embedding-3-small'], ['whisper-1'], ['dall-e-3'], ['tts-1']])(
    '%s resolves to openai',
    async (model) => {
      process.env.OPENAI_API_BASE = upstream().openaiBase;
      process.env.OPENAI_API_KEY = 'sk-env';
      await routerFor(model).completion({ model: 'm', messages: ask('x') });
      expect(upstream().calls[0]!.path).toBe('/v1/chat/completions');
      expect(upstream().calls[0]!.body.model).toBe(model);
      expect(bearer(0)).toBe('Bearer sk-env');
    },
  );

  it('claude-… resolves to anthropic', async () => {
    process.env.ANTHROPIC_API_BASE = upstream().url;
    process.env.ANTHROPIC_API_KEY = 'ak-env';
    await routerFor('claude-3-5-haiku-latest').completion({ model: 'm', messages: ask('x') });
    expect(upstream().calls[0]!.path).toBe('/v1/messages');
    expect(upstream().calls[0]!.headers['x-api-key']).toBe('ak-env');
  });

  it('an unknown prefix is a RouterConfigError listing the prefixes and suggesting openai/ with api_base', () => {
    let err: unknown;
    try {
      routerFor('acme/super-model');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RouterConfigError);
    expect(err).toMatchObject({ option: 'modelList[0].params.model' });
    const message = (err as Error).message;
    expect(message).toContain('"acme" is not a provider prefix');
    for (const prefix of [...ROWS.map((r) => r.prefix), 'azure', 'anthropic', 'ollama', 'ollama_chat', 'bedrock', 'vertex_ai'])
      expect(message).toContain(prefix);
    expect(message).toContain('write openai/super-model with apiBase (api_base)');
  });

  it('an unknown bare name says the same', () => {
    expect(() => routerFor('mystery-model')).toThrow(/cannot tell the provider of "mystery-model".*Prefixes: .*groq.*openai\/mystery-model with apiBase/s);
  });
});
