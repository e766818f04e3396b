import type { Cache, CacheControl } from '@llmcache/core';

/** OpenAI-shaped chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'developer' | (string & {});
  content: string | null | Array<{ type: string; text?: string; [k: string]: unknown }>;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [k: string]: unknown;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [k: string]: unknown;
}

/** What the router adds to every answer, non-enumerable so `JSON.stringify(res)` is the plain OpenAI object. */
export interface HiddenParams {
  cacheHit: boolean;
  /** The cache key the call used, when a cache was consulted. */
  cacheKey: string | undefined;
  modelGroup: string;
  /** The deployment that answered, or, for a hit, the one that produced the stored answer. */
  deploymentId: string | undefined;
  /** The provider's model, e.g. `gpt-3.5-turbo`. */
  model: string | undefined;
  latencyMs: number;
  /** True when this call waited for an identical concurrent call instead of going upstream itself. */
  sharedFlight?: boolean;
  /** Set when a semantic cache served another prompt's answer: the cosine similarity of the two prompts. */
  semanticSimilarity?: number;
}

export interface PlainChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[]; [k: string]: unknown };
    finish_reason: string | null;
    logprobs?: unknown;
  }>;
  usage?: Usage;
  system_fingerprint?: string | null;
  [k: string]: unknown;
}

/** Marks an answer as one the router returned. */
export interface WithHiddenParams {
  readonly _hiddenParams: HiddenParams;
}

export type ChatCompletion = PlainChatCompletion & WithHiddenParams;
export type TextCompletion = PlainTextCompletion & WithHiddenParams;
export type EmbeddingResponse = PlainEmbeddingResponse & WithHiddenParams;
export type TranscriptionResponse = PlainTranscription & WithHiddenParams;

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      tool_calls?: Array<{ index: number; id?: string; type?: 'function'; function?: { name?: string; arguments?: string } }>;
      [k: string]: unknown;
    };
    finish_reason: string | null;
    logprobs?: unknown;
  }>;
  usage?: Usage | null;
  [k: string]: unknown;
}

/** A streamed answer: iterate it for chunks; `_hiddenParams` is set once the call is routed. */
export interface CompletionStream extends AsyncIterable<ChatCompletionChunk> {
  readonly _hiddenParams: HiddenParams;
}

export interface PlainTextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ text: string; index: number; logprobs: unknown; finish_reason: string | null }>;
  usage?: Usage;
  [k: string]: unknown;
}

export interface PlainEmbeddingResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface PlainTranscription {
  text: string;
  [k: string]: unknown;
}

/** Fields every call accepts besides the provider's own params (which are passed through unchanged). */
export interface CallOptions {
  /** A model group name (with a Router), or `provider/model` (top-level functions). */
  model: string;
  /** Per-request cache control. */
  cache?: CacheControl;
  /** Returns this text without calling a provider. */
  mockResponse?: string;
  /**
   * Seconds; lowers the router's and the deployment's timeout for this call. It bounds each attempt
   * (including its wait for a `maxParallelRequests` slot) and the whole call: no retry or fallback starts
   * after it has run out.
   */
  timeout?: number;
  /** Seconds; for a stream, bounds the wait for the first chunk and each gap between chunks. @default timeout */
  stream_timeout?: number;
  /** Overrides the router's `numRetries` for this call (0 to 100). */
  numRetries?: number;
  /**
   * Aborts the call: it rejects at once with the signal's reason. A call sharing an upstream answer with
   * identical calls just leaves; the upstream call is aborted once every caller has left.
   */
  signal?: AbortSignal;
  /** Top-level calls only: credentials and endpoint. */
  apiKey?: string;
  apiBase?: string;
  apiVersion?: string;
  metadata?: Record<string, unknown>;
  [param: string]: unknown;
}

export interface CompletionRequest extends CallOptions {
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

export interface TextCompletionRequest extends CallOptions {
  prompt: string | string[];
  stream?: boolean;
}

export interface EmbeddingRequest extends CallOptions {
  input: string | string[];
}

export interface TranscriptionRequest extends CallOptions {
  file: Blob | Uint8Array;
  /** Sent to the provider as the upload's name; never part of the cache key. @default 'audio.mp3' */
  fileName?: string;
}

/** One deployment's params, LiteLLM's `litellm_params` in camelCase. Unknown params go to the provider. */
export interface DeploymentParams {
  /** `provider/model`: `openai/gpt-4o`, `azure/<deployment>`, `anthropic/claude-…`, or a bare known name. */
  model: string;
  apiKey?: string;
  /** Endpoint, including `/v1` for OpenAI-compatible servers. @default the provider's public API */
  apiBase?: string;
  /** Azure `api-version`. @default '2024-10-21' */
  apiVersion?: string;
  /** Requests per minute this deployment may take (usage-based routing; weight for simple-shuffle). */
  rpm?: number;
  /** Tokens per minute this deployment may take. */
  tpm?: number;
  /** Relative share of traffic for simple-shuffle. */
  weight?: number;
  /** Seconds before a call to this deployment is abandoned. */
  timeout?: number;
  /** Seconds a stream from this deployment may take for its first chunk and between chunks. @default timeout */
  streamTimeout?: number;
  /** Most calls in flight at once to this deployment; more wait their turn. */
  maxParallelRequests?: number;
  /**
   * Retries on this deployment's group when this deployment fails (LiteLLM's per-deployment `max_retries`);
   * a call's own `numRetries` wins. @default RouterOptions.numRetries
   */
  numRetries?: number;
  /** Azure AD (Entra ID) token for `azure/` deployments: sent as `Authorization: Bearer` instead of an `api-key`. */
  azureAdToken?: string;
  /** Returns this text without calling the provider. */
  mockResponse?: string;
  /**
   * Drop the OpenAI params this deployment's provider refuses instead of sending them (LiteLLM's
   * `drop_params`; `drop_params` is accepted too). @default RouterOptions.dropParams
   */
  dropParams?: boolean;
  [param: string]: unknown;
}

export interface ModelListEntry {
  /** The model group this deployment serves. */
  modelName: string;
  params: DeploymentParams;
  /** `id` overrides the derived deployment id. */
  info?: { id?: string; [k: string]: unknown };
}

export type RoutingStrategyName = 'simple-shuffle' | 'least-busy' | 'latency-based-routing' | 'usage-based-routing';

export interface RouterOptions {
  /** Deployments; entries sharing a `modelName` form one load-balanced model group. */
  modelList: ModelListEntry[];
  /** Model groups that share cache entries, e.g. `[['gpt-3.5', 'gpt-4']]`. */
  cachingGroups?: string[][];
  /** The cache; without it, whatever `setCache()` holds at call time. */
  cache?: Cache;
  /** How a deployment is picked within a group. @default 'simple-shuffle' */
  routingStrategy?: RoutingStrategyName;
  /** Retries after the first attempt, on 408, 429, 5xx and connection errors. @default 2 */
  numRetries?: number;
  /** Seconds before a call is abandoned. @default 600 */
  timeout?: number;
  /** Groups to try, in order, when a group fails: `[{ 'gpt-4': ['gpt-3.5'] }]`; `'*'` matches any group. */
  fallbacks?: Array<Record<string, string[]>>;
  /** Groups to try when a call fails for exceeding the context window. */
  contextWindowFallbacks?: Array<Record<string, string[]>>;
  /**
   * Groups to try when a provider refuses a call under its content policy (`ContentPolicyViolationError`:
   * OpenAI's `content_policy_violation`, Azure's content filter); without one for the group, `fallbacks` apply.
   */
  contentPolicyFallbacks?: Array<Record<string, string[]>>;
  /**
   * Other names for model groups (LiteLLM's `model_group_alias`): `{ 'gpt-4': 'prod-gpt-4' }`, or
   * `{ 'gpt-4': { model: 'prod-gpt-4', hidden: true } }` to keep the alias out of `router.modelGroups`.
   * A call for the alias is a call for its group, with that group's cache entries.
   */
  modelGroupAlias?: Record<string, string | ModelGroupAliasTarget>;
  /** Failures within a minute before a deployment cools down. @default 3 */
  allowedFails?: number;
  /** Seconds a deployment cools down for. @default 5 */
  cooldownTime?: number;
  /** First retry backoff in seconds, doubled each retry, unless the provider sends `Retry-After`. @default 0.5 */
  retryAfter?: number;
  /** Where usage and cooldown state lives; the in-process default suits one instance. */
  state?: import('./state').RouterState;
  /**
   * Shares cooldowns, failure counts and rpm/tpm usage with every router on the same Redis (needs the
   * package `@llmcache/redis`): `{ url }`, `{ host, port, password }` (also `username`, `ssl`,
   * `redisStartupNodes`, `sentinels` with `serviceName`, `prefix`), or an ioredis client, which the router
   * uses as it is and never closes. When Redis is down, each router falls back to its own state.
   */
  redis?: RedisConnection | RedisClientLike;
  /**
   * Drop the OpenAI params a deployment's provider refuses (e.g. `seed` or `logit_bias` for Anthropic)
   * instead of sending them, for every deployment without its own `dropParams` (LiteLLM's
   * `litellm_settings.drop_params`). Dropped params still count in the cache key. @default false
   */
  dropParams?: boolean;
  /**
   * Where the router logs routing decisions, retries, cooldowns, fallbacks, failures, cache hits and
   * misses, and cache errors: any object with `debug`, `info`, `warn` and `error` methods, such as a pino
   * logger or `console`. Lines never carry API keys, headers or request bodies.
   * @default a stderr logger at the level of `LLMCACHE_LOG` (`debug`, `info`, `warn` or `error`), read at construction; silent when it is unset
   */
  logger?: RouterLogger;
}

/**
 * What the `logger` option takes. Each method is called as pino and bunyan expect, fields first:
 * `logger.info({ modelGroup, deploymentId, attempt, delayMs, error }, 'retry')`; console prints both.
 */
export interface RouterLogger {
  debug(fields: Record<string, unknown>, message: string): unknown;
  info(fields: Record<string, unknown>, message: string): unknown;
  warn(fields: Record<string, unknown>, message: string): unknown;
  error(fields: Record<string, unknown>, message: string): unknown;
}

/** The long form of a `modelGroupAlias` entry. */
export interface ModelGroupAliasTarget {
  /** The model group the alias stands for. */
  model: string;
  /** Leaves the alias out of `router.modelGroups`; calls for it still route. @default false */
  hidden?: boolean;
}

/** A config key `Router.fromConfig` ignored, and why. */
export interface IgnoredConfigKey {
  /** Where it is in the file, e.g. `model_list[0].litellm_params.input_cost_per_token` or `general_settings.alerting`. */
  path: string;
  /** Why it has no effect, e.g. `proxy feature`. */
  reason: string;
}

/** Where the shared routing state lives in Redis (LiteLLM's `router_settings.redis_*`). */
export interface RedisConnection {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url?: string;
  host?: string;
  port?: number | string;
  password?: string;
  username?: string;
  ssl?: boolean;
  redisStartupNodes?: ReadonlyArray<{ host: string; port: number }>;
  sentinels?: ReadonlyArray<{ host: string; port: number }>;
  serviceName?: string;
  /** First part of the state keys. @default 'llmcache' */
  prefix?: string;
}

/** An ioredis `Redis` or `Cluster` (typed loosely, so the router does not depend on ioredis). */
export interface RedisClientLike {
  sendCommand(...args: never[]): unknown;
}

/** Events a Router emits. */
export interface RouterEvents {
  success: (event: { modelGroup: string; deploymentId: string | undefined; cacheHit: boolean; latencyMs: number; usage: Usage | undefined; callType: string }) => void;
  failure: (event: { modelGroup: string; deploymentId: string; error: Error; latencyMs: number; callType: string }) => void;
  retry: (event: { modelGroup: string; deploymentId: string | undefined; attempt: number; delayMs: number; error: Error }) => void;
  fallback: (event: { from: string; to: string; error: Error }) => void;
  cooldown: (event: { modelGroup: string; deploymentId: string; until: number; failures: number; error: Error }) => void;
  error: (error: Error) => void;
  /** Once, on the tick after `Router.fromConfig` returns: the config keys it ignored, with why (also `router.ignoredConfig`). */
  config: (event: { ignored: readonly IgnoredConfigKey[] }) => void;
}

