import type { Cache } from '@llmcache/core';
import type { RouterState } from '@llmcache/core';

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
  state?: RouterState;
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
