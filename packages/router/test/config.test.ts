import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheConfigError } from '@llmcache/core';
import { parse } from 'yaml';
import { readLiteLLMConfig, translateLiteLLMConfig } from '../src/config';
import { RouterConfigError } from '../src/errors';
import { thrown } from '@llmcache/test-suite';

const CONFIG = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: https://my-eu.openai.azure.com/
      api_key: os.environ/AZURE_API_KEY_EU
      api_version: "2024-10-21"
      rpm: 600
      temperature: 0.2
    model_info:
      id: gpt-4o-eu
      mode: chat
      base_model: azure/gpt-4o
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-ca
      api_base: os.environ/AZURE_API_BASE_CA
      api_key: os.environ/AZURE_API_KEY_CA
      api_version: "2024-10-21"
      rpm: 300
      stream_timeout: 30
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: os.environ/OPENAI_API_KEY
      timeout: 20
      max_parallel_requests: 10
      weight: 2

router_settings:
  routing_strategy: usage-based-routing-v2
  num_retries: 3
  timeout: 30
  allowed_fails: 2
  cooldown_time: 45
  retry_after: 1
  caching_groups: [["gpt-4o", "gpt-4o-mini"]]
  fallbacks:
    - gpt-4o: ["gpt-4o-mini"]
  redis_host: os.environ/ROUTER_REDIS_HOST
  redis_port: "6380"
  enable_pre_call_checks: true

litellm_settings:
  drop_params: true
  num_retries: 5
  request_timeout: 600
  context_window_fallbacks:
    - gpt-4o-mini: ["gpt-4o"]
  success_callback: ["langfuse"]
  cache: true
  cache_params:
    type: redis
    host: os.environ/REDIS_HOST
    port: 6379
    ttl: 600
    namespace: litellm.caching
    supported_call_types: ["acompletion", "aembedding"]

general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
`;

const ENV: NodeJS.ProcessEnv = {
  AZURE_API_KEY_EU: 'key-eu',
  AZURE_API_KEY_CA: 'key-ca',
  AZURE_API_BASE_CA: 'https://my-ca.openai.azure.com/',
  OPENAI_API_KEY: 'sk-openai',
  REDIS_HOST: 'redis.internal',
  ROUTER_REDIS_HOST: 'redis-state.internal',
};

const EXPECTED = {
  routerOptions: {
    modelList: [
      {
        modelName: 'gpt-4o',
        params: {
          model: 'azure/gpt-4o-eu',
          apiBase: 'https://my-eu.openai.azure.com/',
          apiKey: 'key-eu',
          apiVersion: '2024-10-21',
          rpm: 600,
          temperature: 0.2,
        },
        info: { id: 'gpt-4o-eu', mode: 'chat', base_model: 'azure/gpt-4o' },
      },
      {
        modelName: 'gpt-4o',
        params: {
          model: 'azure/gpt-4o-ca',
          apiBase: 'https://my-ca.openai.azure.com/',
          apiKey: 'key-ca',
          apiVersion: '2024-10-21',
          rpm: 300,
          streamTimeout: 30,
        },
      },
      {
        modelName: 'gpt-4o-mini',
        params: { model: 'openai/gpt-4o-mini', apiKey: 'sk-openai', timeout: 20, maxParallelRequests: 10, weight: 2 },
      },
    ],
    routingStrategy: 'usage-based-routing',
    numRetries: 3,
    timeout: 30,
    allowedFails: 2,
    cooldownTime: 45,
    retryAfter: 1,
    cachingGroups: [['gpt-4o', 'gpt-4o-mini']],
    fallbacks: [{ 'gpt-4o': ['gpt-4o-mini'] }],
    redis: { host: 'redis-state.internal', port: 6380 },
    contextWindowFallbacks: [{ 'gpt-4o-mini': ['gpt-4o'] }],
    dropParams: true,
  },
  cacheOptions: {
    type: 'redis',
    host: 'redis.internal',
    port: 6379,
    ttl: 600,
    namespace: 'litellm.caching',
    supportedCallTypes: ['acompletion', 'aembedding'],
  },
  unsupported: ['router_settings.enable_pre_call_checks', 'litellm_settings.success_callback', 'general_settings.master_key'],
  ignored: [
    { path: 'router_settings.enable_pre_call_checks', reason: 'pre-call context-window checks are not supported' },
    { path: 'litellm_settings.success_callback', reason: 'callbacks are not supported; use router.on(...)' },
    { path: 'general_settings.master_key', reason: 'proxy feature' },
  ],
  sources: {
    routingStrategy: 'router_settings.routing_strategy',
    numRetries: 'router_settings.num_retries',
    redis: 'router_settings.redis_host',
    'redis.host': 'router_settings.redis_host',
    'redis.port': 'router_settings.redis_port',
    timeout: 'router_settings.timeout',
    allowedFails: 'router_settings.allowed_fails',
    cooldownTime: 'router_settings.cooldown_time',
    retryAfter: 'router_settings.retry_after',
    cachingGroups: 'router_settings.caching_groups',
    fallbacks: 'router_settings.fallbacks',
    dropParams: 'litellm_settings.drop_params',
    contextWindowFallbacks: 'litellm_settings.context_window_fallbacks',
  },
};

/** Runs `fn`, expects a RouterConfigError naming `option`, and returns it. */
function configError(fn: () => unknown, option: string): RouterConfigError {
  const caught = thrown(fn);
  expect(caught).toBeInstanceOf(RouterConfigError);
  const err = caught as RouterConfigError;
  expect(err.option).toBe(option);
  expect(err.message).toContain(`${option}:`);
  return err;
}

/** A minimal valid config with `extra` YAML appended. */
function minimal(extra = ''): string {
  return `model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/gpt-4o\n${extra}`;
}

describe('translateLiteLLMConfig', () => {
  it('translates a realistic proxy config exactly', () => {
    const result = translateLiteLLMConfig(CONFIG, ENV);
    expect(result).toStrictEqual(EXPECTED);
  });

  it('gives the same result for the already-parsed object', () => {
    expect(translateLiteLLMConfig(parse(CONFIG), ENV)).toStrictEqual(EXPECTED);
  });

  it('does not modify the parsed object it is given', () => {
    const parsed = parse(CONFIG);
    const copy = structuredClone(parsed);
    translateLiteLLMConfig(parsed, ENV);
    expect(parsed).toStrictEqual(copy);
  });

  it('defaults env to process.env', () => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV);
    try {
      expect(translateLiteLLMConfig(CONFIG)).toStrictEqual(EXPECTED);
    } finally {
      for (const name of Object.keys(ENV)) {
        if (name in saved) process.env[name] = saved[name];
        else delete process.env[name];
      }
    }
  });

  describe('os.environ/ values', () => {
    it('names the path and the variable when one is missing', () => {
      const { AZURE_API_KEY_EU: _, ...env } = ENV;
      const err = configError(() => translateLiteLLMConfig(CONFIG, env), 'model_list[0].litellm_params.api_key');
      expect(err.message).toContain('AZURE_API_KEY_EU');
    });

    it('names cache_params paths', () => {
      const { REDIS_HOST: _, ...env } = ENV;
      const err = configError(() => translateLiteLLMConfig(CONFIG, env), 'litellm_settings.cache_params.host');
      expect(err.message).toContain('REDIS_HOST');
    });

    it('names router_settings paths, nested ones included', () => {
      configError(() => translateLiteLLMConfig(minimal('router_settings:\n  timeout: os.environ/TIMEOUT\n'), {}), 'router_settings.timeout');
      configError(
        () => translateLiteLLMConfig(minimal('router_settings:\n  fallbacks:\n    - m: [os.environ/FALLBACK]\n'), {}),
        'router_settings.fallbacks[0].m[0]',
      );
    });

    it('rejects a bare os.environ/ with no name', () => {
      configError(() => translateLiteLLMConfig(minimal('      api_key: os.environ/\n'), {}), 'model_list[0].litellm_params.api_key');
    });

    it('converts numeric strings for numeric options', () => {
      const yaml = minimal(
        '      rpm: os.environ/RPM\n      timeout: os.environ/TIMEOUT\nrouter_settings:\n  num_retries: os.environ/RETRIES\n' +
          'litellm_settings:\n  cache: os.environ/CACHE_ON\n  cache_params:\n    ttl: os.environ/TTL\n    port: os.environ/PORT\n',
      );
      const env = { RPM: '120', TIMEOUT: '12.5', RETRIES: '4', CACHE_ON: 'true', TTL: '60', PORT: '6380' };
      const result = translateLiteLLMConfig(yaml, env);
      expect(result.routerOptions.modelList[0]!.params).toStrictEqual({ model: 'openai/gpt-4o', rpm: 120, timeout: 12.5 });
      expect(result.routerOptions.numRetries).toBe(4);
      expect(result.cacheOptions).toStrictEqual({ type: 'redis', ttl: 60, port: '6380' });
    });

    it('resolves inside pass-through params and model_info, and an empty variable counts as set', () => {
      const yaml = minimal(
        '      extra_headers:\n        X-Team: os.environ/TEAM\n      api_key: os.environ/EMPTY\n    model_info:\n      id: os.environ/DEPLOYMENT_ID\n',
      );
      const entry = translateLiteLLMConfig(yaml, { TEAM: 'search', EMPTY: '', DEPLOYMENT_ID: 'dep-7' }).routerOptions.modelList[0];
      expect(entry).toStrictEqual({
        modelName: 'm',
        params: { model: 'openai/gpt-4o', extra_headers: { 'X-Team': 'search' }, apiKey: '' },
        info: { id: 'dep-7' },
      });
    });

    it('leaves ignored sections alone', () => {
      const yaml = minimal('general_settings:\n  master_key: os.environ/MISSING\nrouter_settings:\n  enable_pre_call_checks: os.environ/MISSING\n');
      expect(translateLiteLLMConfig(yaml, {}).unsupported).toStrictEqual(['general_settings.master_key', 'router_settings.enable_pre_call_checks']);
    });
  });

  describe('model_list', () => {
    it('passes unknown litellm_params through unchanged, snake_case kept', () => {
      const yaml = `
model_list:
  - model_name: gemini
    litellm_params:
      model: vertex_ai/gemini-1.5-pro
      vertex_project: my-project
      vertex_location: us-central1
      top_k: 40
      max_tokens: 1024
      response_format: { type: json_object }
      stop: ["\\n\\n"]
`;
      const { routerOptions, unsupported } = translateLiteLLMConfig(yaml, {});
      expect(routerOptions.modelList).toStrictEqual([
        {
          modelName: 'gemini',
          params: {
            model: 'vertex_ai/gemini-1.5-pro',
            vertex_project: 'my-project',
            vertex_location: 'us-central1',
            top_k: 40,
            max_tokens: 1024,
            response_format: { type: 'json_object' },
            stop: ['\n\n'],
          },
        },
      ]);
      expect(unsupported).toStrictEqual([]);
    });

    it('maps mock_response, organization, max_retries, stream_timeout and azure_ad_token', () => {
      const yaml = minimal(
        '      mock_response: hi\n      organization: org-1\n      max_retries: 3\n      stream_timeout: 10\n      azure_ad_token: os.environ/AD\n',
      );
      const { routerOptions, unsupported } = translateLiteLLMConfig(yaml, { AD: 'ad-token' });
      expect(routerOptions.modelList[0]!.params).toStrictEqual({
        model: 'openai/gpt-4o',
        mockResponse: 'hi',
        organization: 'org-1',
        numRetries: 3,
        streamTimeout: 10,
        azureAdToken: 'ad-token',
      });
      expect(unsupported).toStrictEqual([]);
    });

    it('reads rpm/tpm given beside litellm_params (litellm_params wins) and lists other entry keys', () => {
      const yaml = minimal('      tpm: 1000\n    rpm: 60\n    tpm: 5\n    description: eu\n');
      const { routerOptions, unsupported } = translateLiteLLMConfig(yaml, {});
      expect(routerOptions.modelList[0]!.params).toStrictEqual({ model: 'openai/gpt-4o', tpm: 1000, rpm: 60 });
      expect(unsupported).toStrictEqual(['model_list[0].description']);
    });

    it('stringifies a numeric model_info.id', () => {
      const yaml = minimal('    model_info:\n      id: 42\n      supports_vision: true\n');
      expect(translateLiteLLMConfig(yaml, {}).routerOptions.modelList[0]!.info).toStrictEqual({ id: '42', supports_vision: true });
    });
  });

  describe('router_settings and litellm_settings', () => {
    it.each([
      ['simple-shuffle', 'simple-shuffle'],
      ['least-busy', 'least-busy'],
      ['latency-based-routing', 'latency-based-routing'],
      ['usage-based-routing', 'usage-based-routing'],
      ['usage-based-routing-v2', 'usage-based-routing'],
    ])('maps routing_strategy %s', (name, expected) => {
      const yaml = minimal(`router_settings:\n  routing_strategy: ${name}\n`);
      expect(translateLiteLLMConfig(yaml, {}).routerOptions.routingStrategy).toBe(expected);
    });

    it('takes router keys from litellm_settings when router_settings lacks them', () => {
      const yaml = minimal(
        'litellm_settings:\n  num_retries: 1\n  request_timeout: 90\n  allowed_fails: 4\n  cooldown_time: 7\n' +
          '  fallbacks: [{ m: [n] }]\n  context_window_fallbacks: [{ m: [big] }]\n',
      );
      const { routerOptions, cacheOptions, unsupported } = translateLiteLLMConfig(yaml, {});
      expect(routerOptions).toStrictEqual({
        modelList: [{ modelName: 'm', params: { model: 'openai/gpt-4o' } }],
        numRetries: 1,
        timeout: 90,
        allowedFails: 4,
        cooldownTime: 7,
        fallbacks: [{ m: ['n'] }],
        contextWindowFallbacks: [{ m: ['big'] }],
      });
      expect(cacheOptions).toBeUndefined();
      expect(unsupported).toStrictEqual([]);
    });

    it('prefers router_settings over litellm_settings whatever the order', () => {
      const yaml = minimal('router_settings:\n  num_retries: 2\n  timeout: 10\nlitellm_settings:\n  num_retries: 9\n  request_timeout: 99\n');
      const { routerOptions } = translateLiteLLMConfig(yaml, {});
      expect(routerOptions.numRetries).toBe(2);
      expect(routerOptions.timeout).toBe(10);
    });

    it("accepts caching_groups written as LiteLLM's Python tuples", () => {
      const yaml = minimal(`router_settings:\n  caching_groups:\n    - '("gpt-4o", "gpt-4o-mini")'\n    - "(a, b)"\n    - [c, d]\n`);
      expect(translateLiteLLMConfig(yaml, {}).routerOptions.cachingGroups).toStrictEqual([
        ['gpt-4o', 'gpt-4o-mini'],
        ['a', 'b'],
        ['c', 'd'],
      ]);
    });

    it('lists the other router_settings keys', () => {
      const yaml = minimal('router_settings:\n  model_group_alias: { gpt-4: m }\n  routing_strategy_args: { ttl: 60 }\n');
      expect(translateLiteLLMConfig(yaml, {}).unsupported).toStrictEqual(['router_settings.routing_strategy_args']);
    });

    it('gathers redis_host, redis_port, redis_password and redis_url into the redis option', () => {
      const yaml = minimal('router_settings:\n  redis_host: os.environ/RH\n  redis_port: os.environ/RP\n  redis_password: secret\n');
      const { routerOptions, unsupported } = translateLiteLLMConfig(yaml, { RH: 'redis.internal', RP: '6390' });
      expect(routerOptions.redis).toStrictEqual({ host: 'redis.internal', port: 6390, password: 'secret' });
      expect(unsupported).toStrictEqual([]);
      expect(translateLiteLLMConfig(minimal('router_settings:\n  redis_url: redis://r:6379/0\n'), {}).routerOptions.redis).toStrictEqual({
        url: 'redis://r:6379/0',
      });
      configError(() => translateLiteLLMConfig(minimal('router_settings:\n  redis_port: seventy\n'), {}), 'router_settings.redis_port');
      configError(() => translateLiteLLMConfig(minimal('router_settings:\n  redis_host: os.environ/UNSET\n'), {}), 'router_settings.redis_host');
    });

    it('does not list empty sections', () => {
      const yaml = minimal('general_settings: {}\nenvironment_variables:\nrouter_settings:\nlitellm_settings:\n  success_callback: []\n');
      const result = translateLiteLLMConfig(yaml, {});
      expect(result.unsupported).toStrictEqual([]);
      expect(result.routerOptions).toStrictEqual({ modelList: [{ modelName: 'm', params: { model: 'openai/gpt-4o' } }] });
    });
  });

  describe('litellm_settings.cache', () => {
    it('camelCases every cache_params key and keeps mode as the string', () => {
      const yaml = minimal(`litellm_settings:
  cache: True
  cache_params:
    type: s3
    s3_bucket_name: cache-bucket
    s3_region_name: us-west-2
    s3_endpoint_url: http://localhost:9000
    s3_aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
    ttl: 3600
    mode: default_off
    supported_call_types: ["completion", "acompletion"]
`);
      expect(translateLiteLLMConfig(yaml, { AWS_ACCESS_KEY_ID: 'AKIA' }).cacheOptions).toStrictEqual({
        type: 's3',
        s3BucketName: 'cache-bucket',
        s3RegionName: 'us-west-2',
        s3EndpointUrl: 'http://localhost:9000',
        s3AwsAccessKeyId: 'AKIA',
        ttl: 3600,
        mode: 'default_off',
        supportedCallTypes: ['completion', 'acompletion'],
      });
    });

    it("takes every one of LiteLLM's s3 cache_params, and says why the four boto3-only ones are ignored", () => {
      const yaml = minimal(`litellm_settings:
  cache: true
  cache_params:
    type: s3
    s3_bucket_name: cache-bucket
    s3_region_name: us-west-2
    s3_api_version: "2006-03-01"
    s3_use_ssl: true
    s3_verify: false
    s3_endpoint_url: https://minio.internal:9000
    s3_aws_access_key_id: AKIA
    s3_aws_secret_access_key: secret
    s3_aws_session_token: token
    s3_config: { retries: { max_attempts: 2 } }
    s3_path: llm/prod
`);
      const result = translateLiteLLMConfig(yaml, {});
      expect(result.cacheOptions).toStrictEqual({
        type: 's3',
        s3BucketName: 'cache-bucket',
        s3RegionName: 'us-west-2',
        s3EndpointUrl: 'https://minio.internal:9000',
        s3AwsAccessKeyId: 'AKIA',
        s3AwsSecretAccessKey: 'secret',
        s3AwsSessionToken: 'token',
        s3Path: 'llm/prod',
      });
      expect(result.ignored).toStrictEqual([
        { path: 'litellm_settings.cache_params.s3_api_version', reason: 'the AWS SDK for JavaScript v3 has no API version setting' },
        { path: 'litellm_settings.cache_params.s3_use_ssl', reason: 'the scheme of s3_endpoint_url decides; AWS itself is always HTTPS' },
        { path: 'litellm_settings.cache_params.s3_verify', reason: expect.stringMatching(/NODE_EXTRA_CA_CERTS/) },
        { path: 'litellm_settings.cache_params.s3_config', reason: expect.stringMatching(/botocore Config/) },
      ]);
    });

    it('translates redis cluster nodes and semantic options', () => {
      const yaml = minimal(`litellm_settings:
  cache: true
  cache_params:
    type: redis-semantic
    redis_startup_nodes: [{ host: 10.0.0.1, port: 7000 }, { host: 10.0.0.2, port: 7001 }]
    similarity_threshold: 0.8
    redis_semantic_cache_embedding_model: text-embedding-3-small
`);
      expect(translateLiteLLMConfig(yaml, {}).cacheOptions).toStrictEqual({
        type: 'redis-semantic',
        redisStartupNodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
        ],
        similarityThreshold: 0.8,
        redisSemanticCacheEmbeddingModel: 'text-embedding-3-small',
      });
    });

    it('translates every semantic cache param LiteLLM documents, for Redis (valkey-semantic) and Qdrant', () => {
      const redis = minimal(`litellm_settings:
  cache: true
  cache_params:
    type: valkey-semantic
    host: 127.0.0.1
    port: "6379"
    password: pw
    similarity_threshold: "0.85"
    redis_semantic_cache_embedding_model: embed
    redis_semantic_cache_index_name: my_index
`);
      expect(translateLiteLLMConfig(redis, {}).cacheOptions).toStrictEqual({
        type: 'valkey-semantic',
        host: '127.0.0.1',
        port: '6379',
        password: 'pw',
        similarityThreshold: 0.85,
        redisSemanticCacheEmbeddingModel: 'embed',
        redisSemanticCacheIndexName: 'my_index',
      });
      const qdrant = minimal(`litellm_settings:
  cache: true
  cache_params:
    type: qdrant-semantic
    qdrant_api_base: os.environ/QDRANT_BASE
    qdrant_api_key: qk
    qdrant_collection_name: answers
    qdrant_semantic_cache_embedding_model: embed
    qdrant_quantization_config: scalar
    similarity_threshold: 0.9
`);
      const translation = translateLiteLLMConfig(qdrant, { QDRANT_BASE: 'http://127.0.0.1:6333' });
      expect(translation.cacheOptions).toStrictEqual({
        type: 'qdrant-semantic',
        qdrantApiBase: 'http://127.0.0.1:6333',
        qdrantApiKey: 'qk',
        qdrantCollectionName: 'answers',
        qdrantSemanticCacheEmbeddingModel: 'embed',
        qdrantQuantizationConfig: 'scalar',
        similarityThreshold: 0.9,
      });
      expect(translation.ignored).toEqual([]);
      expect(() => translateLiteLLMConfig(minimal('litellm_settings:\n  cache: true\n  cache_params:\n    type: redis-semantic\n'), {})).toThrow(
        /similarityThreshold: is required/,
      );
    });

    it("takes cache: true without a type to mean Redis, as LiteLLM's proxy does", () => {
      expect(translateLiteLLMConfig(minimal('litellm_settings:\n  cache: true\n'), {}).cacheOptions).toStrictEqual({ type: 'redis' });
      const params =
        'litellm_settings:\n  cache: true\n  cache_params:\n    host: r.internal\n    port: 6380\n    password: pw\n    namespace: ns\n    ttl: 60\n';
      expect(translateLiteLLMConfig(minimal(params), {}).cacheOptions).toStrictEqual({
        type: 'redis',
        host: 'r.internal',
        port: 6380,
        password: 'pw',
        namespace: 'ns',
        ttl: 60,
      });
    });

    it('gives undefined and lists cache_params when cache is false or absent', () => {
      for (const flag of ['  cache: false\n', '']) {
        const yaml = minimal(`litellm_settings:\n${flag}  cache_params:\n    type: redis\n    host: os.environ/UNSET\n`);
        const result = translateLiteLLMConfig(yaml, {});
        expect(result.cacheOptions).toBeUndefined();
        expect(result.unsupported).toStrictEqual(['litellm_settings.cache_params']);
      }
    });

    it('skips and reports cache params and call types llmcache does not have, keeping the rest', () => {
      const yaml = minimal(
        'litellm_settings:\n  cache: true\n  cache_params:\n    type: local\n    ttl: 60\n    default_in_memory_ttl: 30\n    max_connections: 10\n    supported_call_types: [acompletion, arerank, embedding]\n',
      );
      const result = translateLiteLLMConfig(yaml, {});
      expect(result.cacheOptions).toStrictEqual({ type: 'local', ttl: 60, supportedCallTypes: ['acompletion', 'embedding'] });
      expect(result.unsupported).toStrictEqual([
        'litellm_settings.cache_params.default_in_memory_ttl',
        'litellm_settings.cache_params.max_connections',
        'litellm_settings.cache_params.supported_call_types: arerank',
      ]);
    });

    it("lets validateCacheOptions' CacheConfigError through, naming the option", () => {
      const bad: Array<[string, string]> = [
        ['ttl: -1', 'ttl'],
        ['type: memcached', 'type'],
        ['mode: sometimes', 'mode'],
      ];
      for (const [line, option] of bad) {
        const yaml = minimal(`litellm_settings:\n  cache: true\n  cache_params:\n    ${line}\n`);
        let caught: unknown;
        try {
          translateLiteLLMConfig(yaml, {});
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(CacheConfigError);
        expect((caught as CacheConfigError).option).toBe(option);
      }
    });
  });

  describe('errors name their path', () => {
    it.each<[string, string, string]>([
      ['a scalar config', '42', 'config'],
      ['an empty document', '', 'config'],
      ['no model_list', 'general_settings: {}', 'model_list'],
      ['model_list not a list', 'model_list: { m: 1 }', 'model_list'],
      ['an entry not a mapping', 'model_list: [gpt-4]', 'model_list[0]'],
      ['an entry without model_name', 'model_list:\n  - litellm_params: { model: x }', 'model_list[0].model_name'],
      ['a numeric model_name', 'model_list:\n  - { model_name: 4, litellm_params: { model: x } }', 'model_list[0].model_name'],
      ['an entry without litellm_params', 'model_list:\n  - model_name: m', 'model_list[0].litellm_params'],
      ['litellm_params without model', 'model_list:\n  - { model_name: m, litellm_params: { api_key: k } }', 'model_list[0].litellm_params.model'],
      ['an empty model', 'model_list:\n  - { model_name: m, litellm_params: { model: "" } }', 'model_list[0].litellm_params.model'],
      ['a non-numeric rpm', minimal('      rpm: fast\n'), 'model_list[0].litellm_params.rpm'],
      ['a negative tpm', minimal('      tpm: -1\n'), 'model_list[0].litellm_params.tpm'],
      ['a zero rpm', minimal('      rpm: 0\n'), 'model_list[0].litellm_params.rpm'],
      ['a zero weight', minimal('      weight: 0\n'), 'model_list[0].litellm_params.weight'],
      ['a zero timeout', minimal('      timeout: 0\n'), 'model_list[0].litellm_params.timeout'],
      ['a fractional max_parallel_requests', minimal('      max_parallel_requests: 1.5\n'), 'model_list[0].litellm_params.max_parallel_requests'],
      ['a numeric api_base', minimal('      api_base: 5\n'), 'model_list[0].litellm_params.api_base'],
      ['a non-numeric top-level rpm', minimal('    rpm: lots\n'), 'model_list[0].rpm'],
      ['model_info not a mapping', minimal('    model_info: chat\n'), 'model_list[0].model_info'],
      ['an empty model_info.id', minimal('    model_info: { id: "" }\n'), 'model_list[0].model_info.id'],
      ['router_settings not a mapping', minimal('router_settings: [1]\n'), 'router_settings'],
      ['an unknown routing_strategy', minimal('router_settings:\n  routing_strategy: cost-based-routing\n'), 'router_settings.routing_strategy'],
      ['a negative num_retries', minimal('router_settings:\n  num_retries: -1\n'), 'router_settings.num_retries'],
      ['a fractional allowed_fails', minimal('router_settings:\n  allowed_fails: 0.5\n'), 'router_settings.allowed_fails'],
      ['a non-numeric cooldown_time', minimal('router_settings:\n  cooldown_time: long\n'), 'router_settings.cooldown_time'],
      ['a non-numeric retry_after', minimal('router_settings:\n  retry_after: later\n'), 'router_settings.retry_after'],
      ['fallbacks not a list', minimal('router_settings:\n  fallbacks: { m: [n] }\n'), 'router_settings.fallbacks'],
      ['a fallbacks item not a mapping', minimal('router_settings:\n  fallbacks: [m]\n'), 'router_settings.fallbacks[0]'],
      ['fallback targets not a list', minimal('router_settings:\n  fallbacks: [{ m: n }]\n'), 'router_settings.fallbacks[0].m'],
      ['a numeric fallback target', minimal('router_settings:\n  fallbacks: [{ m: [n, 3] }]\n'), 'router_settings.fallbacks[0].m[1]'],
      ['caching_groups not a list', minimal('router_settings:\n  caching_groups: m\n'), 'router_settings.caching_groups'],
      ['a caching group not a list', minimal('router_settings:\n  caching_groups: [[a, b], c]\n'), 'router_settings.caching_groups[1]'],
      ['an empty caching group', minimal('router_settings:\n  caching_groups: [[]]\n'), 'router_settings.caching_groups[0]'],
      ['a numeric caching group name', minimal('router_settings:\n  caching_groups: [[a, 1]]\n'), 'router_settings.caching_groups[0][1]'],
      ['litellm_settings not a mapping', minimal('litellm_settings: on\n'), 'litellm_settings'],
      ['a non-numeric request_timeout', minimal('litellm_settings:\n  request_timeout: soon\n'), 'litellm_settings.request_timeout'],
      [
        'a bad litellm_settings context_window_fallbacks',
        minimal('litellm_settings:\n  context_window_fallbacks: m\n'),
        'litellm_settings.context_window_fallbacks',
      ],
      ['a non-boolean cache', minimal('litellm_settings:\n  cache: maybe\n'), 'litellm_settings.cache'],
      ['cache_params not a mapping', minimal('litellm_settings:\n  cache: true\n  cache_params: redis\n'), 'litellm_settings.cache_params'],
    ])('%s', (_, yaml, option) => {
      configError(() => translateLiteLLMConfig(yaml, {}), option);
    });

    it('rejects a non-object config value', () => {
      configError(() => translateLiteLLMConfig(null, {}), 'config');
      configError(() => translateLiteLLMConfig([{ model_list: [] }], {}), 'config');
    });

    it('wraps a YAML syntax error with its cause', () => {
      const err = configError(() => translateLiteLLMConfig('model_list:\n  - model_name: [unclosed\n', {}), 'config');
      expect(err.cause).toBeInstanceOf(Error);
      expect(err.message).toContain('not valid YAML');
    });

    it('reports duplicate keys as a YAML error', () => {
      configError(() => translateLiteLLMConfig(minimal('router_settings: {}\nrouter_settings: {}\n'), {}), 'config');
    });
  });
});

describe('readLiteLLMConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmcache-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads and translates a YAML file', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, CONFIG);
    expect(readLiteLLMConfig(file, ENV)).toStrictEqual(EXPECTED);
  });

  it('reads a JSON file', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(parse(CONFIG), null, 2));
    expect(readLiteLLMConfig(file, ENV)).toStrictEqual(EXPECTED);
  });

  it('names the file when it is not valid YAML', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'model_list: [\n');
    const err = configError(() => readLiteLLMConfig(file, ENV), 'config');
    expect(err.message).toContain(file);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('reports a missing file as a RouterConfigError with the cause', () => {
    const file = join(dir, 'missing.yaml');
    const err = configError(() => readLiteLLMConfig(file, ENV), 'config');
    expect(err.message).toContain(file);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
