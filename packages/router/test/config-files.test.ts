// LiteLLM-shaped config.yaml files (test/configs/), each loaded with Router.fromConfig and called over real
// sockets on the local upstream: what a user moving from LiteLLM runs first.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequestError, ContentPolicyViolationError, InternalServerError, Router, RouterConfigError, TimeoutError } from '@llmcache/router';
import { CONTEXT_LENGTH_MESSAGE } from '@llmcache/test-upstream';
import { readLiteLLMConfig, translateLiteLLMConfig } from '../src/config';
import { COMPATIBLE_PROVIDERS } from '../src/providers';
import { ask, collect, useUpstream } from './helpers';
import { thrown } from '@llmcache/test-suite';

const upstream = useUpstream();
const CONFIGS = join(__dirname, 'configs');

/** What the files' `os.environ/` references find: the upstream's address and one key per provider. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    UPSTREAM: upstream().openaiBase,
    UPSTREAM_ROOT: upstream().url,
    GROQ_API_KEY: 'gsk-env',
    OPENROUTER_API_KEY: 'or-env',
    TOGETHERAI_API_KEY: 'together-env',
    DEEPSEEK_API_KEY: 'deepseek-env',
    AZURE_API_KEY: 'azure-env',
    AZURE_AD_TOKEN: 'entra-token',
    FIREWORKS_API_KEY: 'fireworks-env',
    CEREBRAS_API_KEY: 'cerebras-env',
    PERPLEXITYAI_API_KEY: 'pplx-env',
    XAI_API_KEY: 'xai-env',
    NVIDIA_NIM_API_KEY: 'nim-env',
    HF_TOKEN: 'hf-env',
    DEEPINFRA_API_KEY: 'deepinfra-env',
    GEMINI_API_KEY: 'gemini-env',
    ...extra,
  };
}

const routers: Router[] = [];
function load(file: string, vars: Record<string, string> = env()): Router {
  const router = Router.fromConfig(join(CONFIGS, file), vars);
  routers.push(router);
  return router;
}
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

/** Runs `fn`, expects a RouterConfigError naming `option`, and returns it. */
function configError(fn: () => unknown, option: string): RouterConfigError {
  const caught = thrown(fn);
  expect(caught).toBeInstanceOf(RouterConfigError);
  expect((caught as RouterConfigError).option).toBe(option);
  expect((caught as Error).message).toContain(`${option}:`);
  return caught as RouterConfigError;
}

const lastCall = () => upstream().calls.at(-1)!;

describe('config files written as LiteLLM users write them', () => {
  it('pyyaml-scalars.yaml: 20_000, 1_000.5, yes and True read as PyYAML reads them', async () => {
    const { routerOptions, cacheOptions } = readLiteLLMConfig(join(CONFIGS, 'pyyaml-scalars.yaml'), env());
    expect(routerOptions.modelList.map((d) => [d.params.rpm, d.params.tpm, d.params.dropParams])).toStrictEqual([
      [1000, 20000, true],
      [undefined, 1000.5, undefined],
    ]);
    expect(routerOptions.dropParams).toBe(true);
    expect(cacheOptions).toMatchObject({ type: 'local', ttl: 3600 });

    const router = load('pyyaml-scalars.yaml');
    const first = await router.completion({ model: 'llama-3.1-8b', messages: ask('underscores') });
    expect(first._hiddenParams.cacheHit).toBe(false);
    expect(['llama-3.1-8b-instant', 'meta-llama/llama-3.1-8b-instruct']).toContain(lastCall().model);
    const again = await router.completion({ model: 'llama-3.1-8b', messages: ask('underscores') });
    expect(again._hiddenParams.cacheHit).toBe(true);
    const chunks = await collect(await router.completion({ model: 'llama-3.1-8b', messages: ask('stream me'), stream: true }));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toContain('stream me');
  });

  it('reads YAML 1.1 as PyYAML: y/n stay text, dates stay as written', () => {
    const yaml =
      'model_list:\n  - model_name: n\n    litellm_params:\n      model: azure/y\n      api_version: 2024-10-21\n      api_base: https://x.example\n';
    const { modelList } = translateLiteLLMConfig(yaml, {}).routerOptions;
    expect(modelList[0]!.modelName).toBe('n');
    expect(modelList[0]!.params).toMatchObject({ model: 'azure/y', apiVersion: '2024-10-21' });
  });

  it('environment-variables.yaml: the section is the environment of os.environ/ and of provider keys, and process.env is untouched', async () => {
    const before = { ...process.env };
    // The file's entries win over the given environment, as LiteLLM sets them into os.environ at load.
    const router = load('environment-variables.yaml', { UPSTREAM: upstream().openaiBase, MISTRAL_API_KEY: 'from-the-process' });
    await router.completion({ model: 'fast-llama', messages: ask('key from the file') });
    expect(lastCall().path).toBe('/v1/chat/completions');
    expect(lastCall().model).toBe('llama-3.3-70b-versatile');
    expect(lastCall().headers.authorization).toBe('Bearer gsk-from-config-file');
    await router.completion({ model: 'mistral-small', messages: ask('base from the file') });
    expect(lastCall().headers.authorization).toBe('Bearer mistral-from-config-file');
    expect({ ...process.env }).toStrictEqual(before);
    expect(process.env.GROQ_API_KEY).toBe(before.GROQ_API_KEY);
  });

  it('cloud-credentials.yaml: environment_variables reach the Bedrock and Vertex AI credential chains, and process.env is untouched', async () => {
    // The machine's own AWS and Google settings must not stand in for the file's.
    const names = [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_REGION',
      'AWS_REGION_NAME',
      'AWS_PROFILE',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'VERTEXAI_PROJECT',
      'VERTEXAI_LOCATION',
    ];
    const saved = names.map((name) => [name, process.env[name]] as const);
    names.forEach((name) => delete process.env[name]);
    const dir = mkdtempSync(join(tmpdir(), 'llmcache-config-creds-'));
    try {
      // Workforce-identity user credentials whose token URL is the upstream (google-auth-library trades the refresh token there).
      const credentialsFile = join(dir, 'credentials.json');
      writeFileSync(
        credentialsFile,
        JSON.stringify({
          type: 'external_account_authorized_user',
          audience: '//iam.googleapis.com/locations/global/workforcePools/pool/providers/test',
          client_id: 'client-id',
          client_secret: 'client-secret',
          refresh_token: 'refresh-token-from-file',
          token_url: upstream().tokenUrl,
        }),
      );
      const before = { ...process.env };
      const router = load('cloud-credentials.yaml', env({ GOOGLE_CREDENTIALS_FILE: credentialsFile }));

      await router.completion({ model: 'claude-bedrock', messages: ask('bedrock from the file') });
      expect(lastCall().path).toBe(`/model/${encodeURIComponent('anthropic.claude-3-haiku-20240307-v1:0')}/converse`);
      expect(lastCall().headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFROMFILE\/\d{8}\/eu-central-1\/bedrock\/aws4_request,/);
      expect(lastCall().headers['x-amz-security-token']).toBe('session-from-file');
      await router.completion({ model: 'claude-bedrock-own-region', messages: ask('own region') });
      expect(lastCall().headers.authorization).toMatch(/Credential=AKIDFROMFILE\/\d{8}\/us-west-2\//);

      const res = await router.completion({ model: 'gemini-vertex', messages: ask('vertex from the file') });
      expect(res.choices[0]!.message.content).toBe('Reply to "vertex from the file" from gemini-2.0-flash');
      const token = upstream().calls.find((call) => call.path === '/token')!;
      expect(token.body).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'refresh-token-from-file' });
      expect(lastCall().path).toBe('/v1/projects/project-from-file/locations/europe-west1/publishers/google/models/gemini-2.0-flash:generateContent');
      expect(lastCall().headers.authorization).toMatch(/^Bearer upstream-token-\d+$/);
      expect({ ...process.env }).toStrictEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
    }
  });

  it('wildcard-fallbacks.yaml: a fallback to "*" or to anthropic/* calls it with the requested model', async () => {
    const router = load('wildcard-fallbacks.yaml');
    upstream().script('gpt-4-eastus', { status: 500 });
    const viaCatchAll = await router.completion({ model: 'gpt-4', messages: ask('catch all') });
    expect(viaCatchAll.choices[0]!.message.content).toBe('Reply to "catch all" from gpt-4');
    expect([lastCall().path, lastCall().headers.authorization]).toEqual(['/v1/chat/completions', 'Bearer sk-catch-all']);
    upstream().script('claude-proxy', { status: 503 });
    const viaAnthropic = await router.completion({ model: 'claude-3-5-haiku', messages: ask('to anthropic') });
    expect(viaAnthropic._hiddenParams.modelGroup).toBe('anthropic/*');
    expect([lastCall().path, lastCall().model, lastCall().headers['x-api-key']]).toEqual(['/v1/messages', 'claude-3-5-haiku', 'sk-ant']);
  });

  it('wildcard-served-names.yaml: fallbacks and aliases naming models only "*" serves load and route through it', async () => {
    const router = load('wildcard-served-names.yaml');
    upstream().script('gpt-5-mini', { status: 400, message: CONTEXT_LENGTH_MESSAGE });
    const longer = await router.completion({ model: 'gpt-5-mini', messages: ask('long') });
    expect(longer.choices[0]!.message.content).toBe('Reply to "long" from gpt-5.5');
    expect([lastCall().model, lastCall().headers.authorization]).toEqual(['gpt-5.5', 'Bearer sk-catch-all']);
    upstream().script('gpt-5-mini', { status: 400, message: 'Your request was rejected by our content policy' });
    expect((await router.completion({ model: 'gpt-5-mini', messages: ask('policy') })).choices[0]!.message.content).toBe('Reply to "policy" from gpt-5.5');
    upstream().script('gpt-5-nano', { status: 500 });
    expect((await router.completion({ model: 'gpt-5-nano', messages: ask('down') })).choices[0]!.message.content).toBe('Reply to "down" from gpt-5.5');
    const viaAlias = await router.completion({ model: 'fast', messages: ask('alias') });
    expect([viaAlias._hiddenParams.modelGroup, lastCall().model]).toEqual(['*', 'gpt-5-mini']);
  });

  it('model-group-alias.yaml: an alias routes to its group and shares its cache; a hidden one is not listed', async () => {
    const router = load('model-group-alias.yaml');
    expect(router.modelGroups).toStrictEqual(['prod-gpt-4o', 'prod-reasoner', 'gpt-4']);
    const viaAlias = await router.completion({ model: 'gpt-4', messages: ask('alias') });
    expect(viaAlias._hiddenParams.modelGroup).toBe('prod-gpt-4o');
    expect(lastCall().model).toBe('meta-llama/Llama-3.3-70B-Instruct-Turbo');
    const viaGroup = await router.completion({ model: 'prod-gpt-4o', messages: ask('alias') });
    expect(viaGroup._hiddenParams.cacheHit).toBe(true);
    expect(router.cacheKey({ model: 'gpt-4', messages: ask('k') })).toBe(router.cacheKey({ model: 'prod-gpt-4o', messages: ask('k') }));
    const hidden = await router.completion({ model: 'o1-preview', messages: ask('hidden alias') });
    expect(hidden._hiddenParams.modelGroup).toBe('prod-reasoner');
    expect(lastCall().model).toBe('deepseek-reasoner');
  });

  it('model_group_alias errors name the alias, as the file and as the option', () => {
    const yaml = (alias: string) =>
      `model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/gpt-4o\nrouter_settings:\n  model_group_alias:\n${alias}`;
    configError(() => Router.fromConfig(yaml('    gpt-4: nope\n'), {}), 'router_settings.model_group_alias.gpt-4');
    configError(() => Router.fromConfig(yaml('    gpt-4: { model: m, hidden: maybe }\n'), {}), 'router_settings.model_group_alias.gpt-4.hidden');
    configError(() => Router.fromConfig(yaml('    m: m\n'), {}), 'router_settings.model_group_alias.m');
    const modelList = [{ modelName: 'm', params: { model: 'openai/gpt-4o' } }];
    configError(() => new Router({ modelList, modelGroupAlias: { a: 'missing' } }), 'modelGroupAlias.a');
    configError(() => new Router({ modelList, modelGroupAlias: { a: { model: 'm', hiden: true } as never } }), 'modelGroupAlias.a');
    configError(() => new Router({ modelList, modelGroupAlias: ['m'] as never }), 'modelGroupAlias');
  });

  it('content-policy-fallbacks.yaml: an Azure content-filter 400 goes to the content-policy fallback, once, not retried', async () => {
    const router = load('content-policy-fallbacks.yaml');
    upstream().script('gpt-4o-filtered', {
      status: 400,
      body: {
        error: {
          message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
          type: null,
          param: 'prompt',
          code: 'content_filter',
          status: 400,
        },
      },
    });
    const fallbacks: string[] = [];
    router.on('fallback', (e) => fallbacks.push(`${e.from}->${e.to}:${e.error.constructor.name}`));
    const res = await router.completion({ model: 'strict-gpt-4o', messages: ask('filtered') });
    expect(res._hiddenParams.modelGroup).toBe('open-llama');
    expect(fallbacks).toStrictEqual(['strict-gpt-4o->open-llama:ContentPolicyViolationError']);
    expect(upstream().callCount({ model: 'gpt-4o-filtered' })).toBe(1);
    expect(upstream().callCount({ model: 'llama3.1-8b' })).toBe(0);
  });

  it("types OpenAI's content_policy_violation as ContentPolicyViolationError, a BadRequestError", async () => {
    const router = load('content-policy-fallbacks.yaml');
    upstream().script('accounts/fireworks/models/llama-v3p1-8b-instruct', {
      status: 400,
      body: {
        error: { message: 'Your request was rejected as a result of our safety system.', type: 'invalid_request_error', code: 'content_policy_violation' },
      },
    });
    const err = await router.completion({ model: 'open-llama', messages: ask('unsafe') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentPolicyViolationError);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as ContentPolicyViolationError).code).toBe('content_policy_violation');
  });

  it('context-window-fallbacks.yaml: perplexity too long goes to xai, streaming included', async () => {
    const router = load('context-window-fallbacks.yaml');
    upstream().script('sonar', { status: 400, message: CONTEXT_LENGTH_MESSAGE });
    const res = await router.completion({ model: 'sonar-small', messages: ask('long') });
    expect(res._hiddenParams.modelGroup).toBe('grok-long');
    expect(lastCall().headers.authorization).toBe('Bearer xai-env');
    upstream().script('sonar', { status: 400, message: CONTEXT_LENGTH_MESSAGE });
    const chunks = await collect(await router.completion({ model: 'sonar-small', messages: ask('long stream'), stream: true }));
    expect(chunks.length).toBeGreaterThan(1);
    expect(lastCall().model).toBe('grok-3-mini');
  });

  describe('deployment-params.yaml', () => {
    it('azure_ad_token is sent as Authorization: Bearer instead of api-key; api_version and model_info.id apply', async () => {
      const router = load('deployment-params.yaml');
      const res = await router.completion({ model: 'entra-gpt-4o', messages: ask('entra') });
      expect(res._hiddenParams.deploymentId).toBe('entra-eu-1');
      const call = lastCall();
      expect(call.path).toBe('/openai/deployments/gpt-4o-entra/chat/completions');
      expect(call.url).toContain('api-version=2024-08-01-preview');
      expect(call.headers.authorization).toBe('Bearer entra-token');
      expect(call.headers['api-key']).toBeUndefined();
      expect(call.body).not.toHaveProperty('azure_ad_token');
    });

    it("max_retries: 0 is the deployment's retry budget, under the router's num_retries: 3", async () => {
      const router = load('deployment-params.yaml');
      upstream().script('meta/llama3-8b-instruct', { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
      await expect(router.completion({ model: 'no-retry', messages: ask('once') })).rejects.toBeInstanceOf(InternalServerError);
      expect(upstream().callCount({ model: 'meta/llama3-8b-instruct' })).toBe(1);
    });

    it('stream_timeout bounds a stream; timeout still bounds a plain call', async () => {
      const router = load('deployment-params.yaml');
      const model = 'meta-llama/Llama-3.1-8B-Instruct';
      upstream().setLatency(model, 1500);
      const started = Date.now();
      const err = await router
        .completion({ model: 'quick-stream', messages: ask('slow stream'), stream: true, numRetries: 0 })
        .then((s) => collect(s))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect(Date.now() - started).toBeLessThan(1200);
      upstream().setLatency(model, 500);
      const res = await router.completion({ model: 'quick-stream', messages: ask('slow but whole'), numRetries: 0 });
      expect(res.choices[0]!.message.content).toContain('slow but whole');
    });
  });

  it('ignored-keys.yaml: every ignored key is reported once, with why, as ignoredConfig and a config event', async () => {
    const router = load('ignored-keys.yaml');
    const events: unknown[] = [];
    router.on('config', (e) => events.push(e));
    const expected = [
      { path: 'litellm_settings.success_callback', reason: 'callbacks are not supported; use router.on(...)' },
      { path: 'router_settings.enable_pre_call_checks', reason: 'pre-call context-window checks are not supported' },
      { path: 'general_settings.master_key', reason: 'proxy feature' },
      { path: 'general_settings.alerting', reason: 'proxy feature' },
      { path: 'general_settings.database_url', reason: 'proxy feature' },
    ];
    expect(router.ignoredConfig).toStrictEqual(expected);
    expect(router.unsupportedConfig).toStrictEqual(expected.map((e) => e.path));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toStrictEqual([{ ignored: expected }]);

    await router.completion({ model: 'deepinfra-llama', messages: ask('deepinfra') });
    expect(lastCall().headers.authorization).toBe('Bearer deepinfra-env');
    const chunks = await collect(await router.completion({ model: 'gemini-flash', messages: ask('gemini stream'), stream: true }));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toContain('gemini stream');
    expect(lastCall().model).toBe('gemini-2.0-flash');
    expect(lastCall().path).toBe('/v1beta/openai/chat/completions');
  });

  it('local-servers.yaml: ollama, ollama_chat, hosted_vllm, lm_studio, custom_openai, text-completion-openai and embeddings', async () => {
    const router = load('local-servers.yaml');
    const expected: Record<string, [string, string]> = {
      // Ollama's own API, as LiteLLM calls it.
      'ollama-llama': ['/api/generate', 'llama3.2'],
      'ollama-chat-llama': ['/api/chat', 'llama3.2'],
      'vllm-qwen': ['/v1/chat/completions', 'Qwen/Qwen2.5-7B-Instruct'],
      'lm-studio': ['/v1/chat/completions', 'qwen2.5-7b-instruct'],
      'my-proxy': ['/v1/chat/completions', 'my-model'],
      instruct: ['/v1/completions', 'gpt-3.5-turbo-instruct'],
    };
    for (const [group, [path, model]] of Object.entries(expected)) {
      const res = await router.completion({ model: group, messages: ask(`hello ${group}`) });
      expect(res.choices[0]!.message.content).toContain(`hello ${group}`);
      expect([group, lastCall().path, lastCall().model]).toStrictEqual([group, path, model]);
      const chunks = await collect(await router.completion({ model: group, messages: ask(`stream ${group}`), stream: true }));
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toContain(`stream ${group}`);
    }
    const embedded = await router.embedding({ model: 'embedder', input: ['a', 'b'] });
    expect(embedded.data).toHaveLength(2);
    await router.embedding({ model: 'ollama-llama', input: 'c' });
    expect(lastCall().path).toBe('/api/embed');
  });

  it('every OpenAI-compatible provider row is used by a config file here', () => {
    const text = readdirSync(CONFIGS)
      .map((f) => readFileSync(join(CONFIGS, f), 'utf8'))
      .join('\n');
    const used = new Set([...text.matchAll(/^\s*model: ([\w-]+)\//gm)].map((m) => m[1]));
    expect(COMPATIBLE_PROVIDERS.map((r) => r.prefix).filter((p) => !used.has(p))).toStrictEqual([]);
    expect(readdirSync(CONFIGS).filter((f) => f.endsWith('.yaml')).length).toBeGreaterThanOrEqual(8);
  });
});

describe('fromConfig errors name the key as the file has it', () => {
  const base = (extra: string) => `model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/gpt-4o\n${extra}`;

  it('for what the Router checks: params, fallbacks, content_policy_fallbacks, model names', () => {
    configError(() => Router.fromConfig(base('      api_base: ftp://nowhere\n'), {}), 'model_list[0].litellm_params.api_base');
    configError(() => Router.fromConfig(base('      max_parallel_requests: 1.5\n'), {}), 'model_list[0].litellm_params.max_parallel_requests');
    configError(() => Router.fromConfig(base('router_settings:\n  fallbacks: [{ zzz: [a] }]\n'), {}), 'router_settings.fallbacks[0]');
    configError(
      () => Router.fromConfig(base('litellm_settings:\n  content_policy_fallbacks: [{ a: [zzz] }]\n'), {}),
      'litellm_settings.content_policy_fallbacks[0].a',
    );
    configError(
      () => Router.fromConfig('model_list:\n  - model_name: a\n    litellm_params:\n      model: nosuch/x\n', {}),
      'model_list[0].litellm_params.model',
    );
    configError(() => Router.fromConfig(base('router_settings:\n  caching_groups: [[a, zzz]]\n'), {}), 'router_settings.caching_groups[0]');
  });

  it("for what the Redis state checks: router_settings.redis_*, as the file names them, not the router's redis.url", () => {
    const err = configError(
      () => Router.fromConfig(base('router_settings:\n  redis_url: os.environ/STATE_URL\n'), { STATE_URL: 'http://cache:6379' }),
      'router_settings.redis_url',
    );
    expect(err.message).toContain('router_settings.redis_url: must start with redis:// or rediss://');
    expect(err.message).not.toContain('redis.url');
    // An all-digit password is read by PyYAML as a number; it is still the password.
    expect(translateLiteLLMConfig(base('router_settings:\n  redis_host: cache\n  redis_password: 123456\n'), {}).routerOptions.redis).toStrictEqual({
      host: 'cache',
      password: '123456',
    });
  });

  it('a config file that does not exist says so', () => {
    const err = configError(() => Router.fromConfig('./missing.yaml', {}), 'config');
    expect(err.message).toMatch(/ config: file \.\/missing\.yaml does not exist$/);
    configError(() => Router.fromConfig('conf/proxy_config.yml', {}), 'config');
    expect(() => Router.fromConfig('conf/proxy_config.yml', {})).toThrow('config: file conf/proxy_config.yml does not exist');
  });
});
