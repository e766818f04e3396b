import type { Cache, CacheControl } from '@llmcache/core';

// The request and answer shapes of OpenAI's API, as the `openai` package types them: a request typed
// with its `ChatCompletionCreateParams` or `EmbeddingCreateParams` can be passed as it is, and every
// answer is assignable to its `ChatCompletion`, `ChatCompletionChunk` or `CreateEmbeddingResponse`.
// Nested values that OpenAI extends often (voices, service tiers, …) are typed as open strings, so that
// params from a newer `openai` still fit; field names are closed, so a misspelt one does not compile.

/** `string & {}` keeps editor suggestions for the listed values while taking any string. */
type OpenString<Known extends string> = Known | (string & {});

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: OpenString<'auto' | 'low' | 'high'> };
}

export interface AudioPart {
  type: 'input_audio';
  input_audio: { data: string; format: OpenString<'wav' | 'mp3'> };
}

export interface FilePart {
  type: 'file';
  file: { file_data?: string; file_id?: string; filename?: string };
}

export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}

/** A part of a user message's content. */
export type ContentPart = TextPart | ImagePart | AudioPart | FilePart;

export interface FunctionToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A call of a `custom` tool (free-form input instead of JSON arguments). */
export interface CustomToolCall {
  id: string;
  type: 'custom';
  custom: { name: string; input: string };
}

export type ToolCall = FunctionToolCall | CustomToolCall;

export interface SystemMessage {
  role: 'system';
  content: string | TextPart[];
  name?: string;
}

export interface DeveloperMessage {
  role: 'developer';
  content: string | TextPart[];
  name?: string;
}

export interface UserMessage {
  role: 'user';
  content: string | ContentPart[];
  name?: string;
}

/** An earlier answer sent back in the conversation; an answer's `choices[i].message` is one. */
export interface AssistantMessage {
  role: 'assistant';
  content?: string | Array<TextPart | RefusalPart> | null;
  name?: string;
  refusal?: string | null;
  tool_calls?: ToolCall[];
  /** @deprecated OpenAI's predecessor of `tool_calls`. */
  function_call?: { name: string; arguments: string } | null;
  audio?: { id: string } | null;
}

export interface ToolMessage {
  role: 'tool';
  content: string | TextPart[];
  tool_call_id: string;
}

/** @deprecated OpenAI's predecessor of `tool` messages. */
export interface FunctionMessage {
  role: 'function';
  content: string | null;
  name: string;
}

/** OpenAI chat message (`ChatCompletionMessageParam`). */
export type ChatMessage = SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage;

export interface FunctionTool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    /** A JSON Schema object. */
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
  };
}

export interface CustomTool {
  type: 'custom';
  custom: { name: string; description?: string; format?: { type: OpenString<'text' | 'grammar'>; grammar?: { definition: string; syntax: OpenString<'lark' | 'regex'> } } };
}

export type Tool = FunctionTool | CustomTool;

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string } }
  | { type: 'custom'; custom: { name: string } }
  | { type: 'allowed_tools'; allowed_tools: { mode: 'auto' | 'required'; tools: object[] } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } };

/** OpenAI's reasons a choice ended. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details?: { accepted_prediction_tokens?: number; audio_tokens?: number; reasoning_tokens?: number; rejected_prediction_tokens?: number };
  prompt_tokens_details?: { audio_tokens?: number; cached_tokens?: number };
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

/** Marks an answer as one the router returned. */
export interface WithHiddenParams {
  readonly _hiddenParams: HiddenParams;
}

export interface TokenLogprob {
  token: string;
  bytes: number[] | null;
  logprob: number;
  top_logprobs: Array<{ token: string; bytes: number[] | null; logprob: number }>;
}

export interface ChoiceLogprobs {
  content: TokenLogprob[] | null;
  refusal: TokenLogprob[] | null;
}

/** The answer's message: `refusal` and `content` are null when absent, as OpenAI sends them. */
export interface CompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  tool_calls?: ToolCall[];
}

/** A chat completion (`chat.completion`), as OpenAI's `ChatCompletion`. */
export interface ChatCompletion extends WithHiddenParams {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: CompletionMessage;
    /** Native providers map their stop reasons onto OpenAI's (see the README). */
    finish_reason: FinishReason;
    logprobs: ChoiceLogprobs | null;
  }>;
  usage?: Usage;
  system_fingerprint?: string;
}

/** One chunk of a streamed chat completion (`chat.completion.chunk`), as OpenAI's `ChatCompletionChunk`. */
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
      refusal?: string | null;
      tool_calls?: Array<{
        index: number;
        id?: string;
        type?: 'function' | 'custom';
        function?: { name?: string; arguments?: string };
        custom?: { name?: string; input?: string };
      }>;
    };
    finish_reason: FinishReason | null;
    logprobs?: ChoiceLogprobs | null;
  }>;
  /** Only on the last chunk, and only with `stream_options: { include_usage: true }`. */
  usage?: Usage | null;
  system_fingerprint?: string;
}

/** A streamed answer: iterate it for chunks; `_hiddenParams` is set once the call is routed. */
export interface CompletionStream extends AsyncIterable<ChatCompletionChunk> {
  readonly _hiddenParams: HiddenParams;
}

/** A text completion (`text_completion`), as OpenAI's `Completion`. */
export interface TextCompletion extends WithHiddenParams {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{
    text: string;
    index: number;
    logprobs: { text_offset?: number[]; token_logprobs?: number[]; tokens?: string[]; top_logprobs?: Array<Record<string, number>> } | null;
    finish_reason: 'stop' | 'length' | 'content_filter';
  }>;
  usage?: Usage;
  system_fingerprint?: string;
}

export interface EmbeddingUsage {
  prompt_tokens: number;
  total_tokens: number;
}

/** Embeddings (`list`), as OpenAI's `CreateEmbeddingResponse`: a vector of numbers per input. */
export interface EmbeddingResponse extends WithHiddenParams {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] }>;
  model: string;
  usage: EmbeddingUsage;
}

/** Embeddings asked for with `encoding_format: 'base64'`: each vector is base64 of its float32 values. */
export interface Base64EmbeddingResponse extends WithHiddenParams {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: string }>;
  model: string;
  usage: EmbeddingUsage;
}

export interface TranscriptionResponse extends WithHiddenParams {
  text: string;
  /** With `response_format: 'verbose_json'`: `language`, `duration`, `segments`, `words`, as the provider sends them. */
  [field: string]: unknown;
}

/**
 * What every call takes besides the API's own params: llmcache's options and LiteLLM's per-call ones.
 * Params the router does not declare go in `extra_body`.
 */
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
  /** LiteLLM's name for `timeout`. */
  request_timeout?: number;
  /** Seconds; for a stream, bounds the wait for the first chunk and each gap between chunks. @default timeout */
  stream_timeout?: number;
  /** Overrides the router's `numRetries` for this call (0 to 100). */
  numRetries?: number;
  /** LiteLLM's name for `numRetries`. */
  num_retries?: number;
  /**
   * Aborts the call: it rejects at once with the signal's reason. A call sharing an upstream answer with
   * identical calls just leaves; the upstream call is aborted once every caller has left.
   */
  signal?: AbortSignal;
  /** HTTP headers sent with the call (LiteLLM's `extra_headers`); never part of the cache key. */
  extra_headers?: Record<string, string | number | boolean | null | undefined>;
  /** Same as `extra_headers`. */
  extraHeaders?: Record<string, string | number | boolean | null | undefined>;
  /** Same as `extra_headers`. */
  headers?: Record<string, string | number | boolean | null | undefined>;
  /**
   * Drop, for this call, the OpenAI params the deployment's provider refuses (`true`), or send them all
   * (`false`), whatever the deployment says (LiteLLM's per-call `drop_params`).
   */
  drop_params?: boolean;
  /** Same as `drop_params`. */
  dropParams?: boolean;
  /** Sent as the `OpenAI-Organization` header. */
  organization?: string;
  /** Top-level calls only: credentials and endpoint. */
  apiKey?: string;
  apiBase?: string;
  apiVersion?: string;
  /**
   * LiteLLM's call metadata, for your own logging: never sent to the provider, never part of the key.
   * To send OpenAI's `metadata` (stored completions), put it in `extra_body`.
   */
  metadata?: Record<string, unknown> | null;
  /**
   * Params the router does not declare, for a provider that takes them (`top_k`, `repetition_penalty`,
   * `thinking`, `safetySettings`, …), as `extra_body` in OpenAI's and LiteLLM's Python clients: each is
   * sent as a top-level param of the call, over a request param of the same name; a deployment's own
   * `extra_body` is merged under it. It is part of the cache key, and `dropParams` never drops it.
   */
  extra_body?: Record<string, unknown> | null;
}

/** OpenAI's chat params (`ChatCompletionCreateParams`), with llmcache's and LiteLLM's call options. */
export interface CompletionRequest extends CallOptions {
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean; include_obfuscation?: boolean } | null;
  audio?: { format: OpenString<'wav' | 'aac' | 'mp3' | 'flac' | 'opus' | 'pcm16'>; voice: string | { id: string } } | null;
  frequency_penalty?: number | null;
  /** @deprecated OpenAI's predecessor of `tool_choice`. */
  function_call?: 'none' | 'auto' | { name: string };
  /** @deprecated OpenAI's predecessor of `tools`. */
  functions?: Array<{ name: string; description?: string; parameters?: Record<string, unknown> }>;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  max_completion_tokens?: number | null;
  max_tokens?: number | null;
  modalities?: Array<OpenString<'text' | 'audio'>> | null;
  n?: number | null;
  parallel_tool_calls?: boolean | null;
  prediction?: { type: 'content'; content: string | TextPart[] } | null;
  presence_penalty?: number | null;
  prompt_cache_key?: string | null;
  reasoning_effort?: OpenString<'none' | 'minimal' | 'low' | 'medium' | 'high'> | null;
  response_format?: ResponseFormat;
  safety_identifier?: string | null;
  seed?: number | null;
  service_tier?: OpenString<'auto' | 'default' | 'flex' | 'scale' | 'priority'> | null;
  stop?: string | string[] | null;
  store?: boolean | null;
  temperature?: number | null;
  tool_choice?: ToolChoice;
  tools?: Tool[];
  top_logprobs?: number | null;
  top_p?: number | null;
  /** The end user; part of the cache key, so users never receive each other's answers. */
  user?: string;
  verbosity?: OpenString<'low' | 'medium' | 'high'> | null;
  web_search_options?: {
    search_context_size?: OpenString<'low' | 'medium' | 'high'>;
    user_location?: { type: 'approximate'; approximate: { city?: string; country?: string; region?: string; timezone?: string } } | null;
  };
}

/** A chat request that answers a whole `ChatCompletion`. */
export interface CompletionRequestNonStreaming extends CompletionRequest {
  stream?: false | null;
}

/** A chat request that answers a `CompletionStream`. */
export interface CompletionRequestStreaming extends CompletionRequest {
  stream: true;
}

/** OpenAI's legacy completions params (`CompletionCreateParamsNonStreaming`); `textCompletion` does not stream. */
export interface TextCompletionRequest extends CallOptions {
  /** Text, texts, or token ids; a `null` prompt is sent as none. */
  prompt: string | string[] | number[] | number[][] | null;
  stream?: false | null;
  stream_options?: { include_usage?: boolean; include_obfuscation?: boolean } | null;
  best_of?: number | null;
  echo?: boolean | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: number | null;
  max_tokens?: number | null;
  n?: number | null;
  presence_penalty?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  suffix?: string | null;
  temperature?: number | null;
  top_p?: number | null;
  user?: string;
}

/** OpenAI's embeddings params (`EmbeddingCreateParams`). */
export interface EmbeddingRequest extends CallOptions {
  /** Texts or token ids; each input is its own cache entry. */
  input: string | string[] | number[] | number[][];
  dimensions?: number;
  /** `'base64'` answers each vector as base64 (a `Base64EmbeddingResponse`). @default 'float' */
  encoding_format?: 'float' | 'base64';
  user?: string;
}

/** OpenAI's transcription params (`TranscriptionCreateParams`), the audio as a `File`, `Blob` or `Buffer`. */
export interface TranscriptionRequest extends CallOptions {
  file: Blob | Uint8Array;
  /** Sent to the provider as the upload's name; never part of the cache key. @default 'audio.mp3' */
  fileName?: string;
  language?: string;
  prompt?: string;
  response_format?: OpenString<'json' | 'text' | 'srt' | 'verbose_json' | 'vtt'>;
  temperature?: number;
  timestamp_granularities?: Array<OpenString<'word' | 'segment'>>;
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
  /** Params sent on every call to this deployment, under a request's own `extra_body`. */
  extra_body?: Record<string, unknown>;
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

