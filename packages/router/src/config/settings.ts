import { describeValue } from '@llmcache/core/internal';
import { RouterConfigError } from '../errors';
import { stderrLogger } from '../logger';
import type { RedisConnection, RouterOptions } from '../types';
import {
  aliasMap,
  anyString,
  boolean,
  cachingGroups,
  groupMaps,
  nonEmptyString,
  nonNegativeInteger,
  numberCheck,
  routingStrategy,
  RULES,
  timerSeconds,
  timerSecondsOrZero,
  type Check,
} from './checks';
import { ignore, isObject, own, type Context } from './context';
import { resolveEnv } from './env';

// `router_settings` and the router keys of `litellm_settings`: the tables of what each key sets.

export type RouterSettings = Omit<RouterOptions, 'cache' | 'state' | 'modelList'>;

/** A setting's option name and check; a check may answer undefined for a value that sets nothing (`set_verbose: false`). */
type SettingSpec = { [K in keyof RouterSettings]-?: { name: K; check: Check<NonNullable<RouterSettings[K]> | undefined> } }[keyof RouterSettings];

export const ROUTER_SETTINGS: Record<string, SettingSpec> = {
  routing_strategy: { name: 'routingStrategy', check: routingStrategy },
  num_retries: { name: 'numRetries', check: nonNegativeInteger },
  timeout: { name: 'timeout', check: timerSeconds },
  fallbacks: { name: 'fallbacks', check: groupMaps },
  context_window_fallbacks: { name: 'contextWindowFallbacks', check: groupMaps },
  content_policy_fallbacks: { name: 'contentPolicyFallbacks', check: groupMaps },
  model_group_alias: { name: 'modelGroupAlias', check: aliasMap },
  allowed_fails: { name: 'allowedFails', check: nonNegativeInteger },
  cooldown_time: { name: 'cooldownTime', check: timerSecondsOrZero },
  caching_groups: { name: 'cachingGroups', check: cachingGroups },
  retry_after: { name: 'retryAfter', check: timerSecondsOrZero },
};

/** The router keys LiteLLM also accepts in `litellm_settings` (`router_settings` wins). */
export const LITELLM_SETTINGS: Record<string, SettingSpec> = {
  num_retries: ROUTER_SETTINGS.num_retries!,
  request_timeout: ROUTER_SETTINGS.timeout!,
  fallbacks: ROUTER_SETTINGS.fallbacks!,
  context_window_fallbacks: ROUTER_SETTINGS.context_window_fallbacks!,
  content_policy_fallbacks: ROUTER_SETTINGS.content_policy_fallbacks!,
  allowed_fails: ROUTER_SETTINGS.allowed_fails!,
  cooldown_time: ROUTER_SETTINGS.cooldown_time!,
  drop_params: { name: 'dropParams', check: boolean },
  // LiteLLM's verbose switch: debug lines on stderr, as LLMCACHE_LOG=debug gives.
  set_verbose: { name: 'logger', check: (path, value) => (boolean(path, value) ? stderrLogger('debug') : undefined) },
};

const port = numberCheck(RULES.port);

/** LiteLLM's `router_settings.redis_*`: where routers share cooldowns and usage, gathered into `redis`. */
const REDIS_SETTINGS: Record<string, { name: keyof RedisConnection; check: Check<unknown> }> = {
  redis_url: { name: 'url', check: nonEmptyString },
  redis_host: { name: 'host', check: nonEmptyString },
  redis_port: { name: 'port', check: port },
  // PyYAML reads an all-digit password as a number; LiteLLM hands it to Redis as text.
  redis_password: { name: 'password', check: (path, value) => anyString(path, typeof value === 'number' ? String(value) : value) },
};

const CALLBACKS = 'callbacks are not supported; use router.on(...)';
const LOGGING = 'logging is set on the router, not in config.yaml';

/** Why a known LiteLLM key has no effect here; any other ignored key gets a generic reason. */
const IGNORED_REASONS: Readonly<Record<string, string>> = {
  success_callback: CALLBACKS,
  failure_callback: CALLBACKS,
  callbacks: CALLBACKS,
  service_callbacks: CALLBACKS,
  json_logs: LOGGING,
  enable_pre_call_checks: 'pre-call context-window checks are not supported',
  routing_strategy_args: 'routing strategy arguments are not supported',
  default_litellm_params: 'give the params on each deployment',
  max_budget: 'budgets are a proxy feature',
  alerting: 'proxy feature',
};

/** `litellm_settings` keys handled by `translateCache`. */
const CACHE_KEYS = new Set(['cache', 'cache_params']);

export function translateSettings(ctx: Context, section: string, value: unknown, specs: Record<string, SettingSpec>): RouterSettings {
  if (value === null || value === undefined) return {};
  if (!isObject(value)) throw new RouterConfigError(section, `must be a mapping, got ${describeValue(value)}`);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const path = `${section}.${key}`;
    const spec = own(specs, key);
    const redisSpec = section === 'router_settings' ? own(REDIS_SETTINGS, key) : undefined;
    if (spec) {
      const resolved = resolveEnv(ctx, path, raw);
      const checked = resolved === null || resolved === undefined ? undefined : spec.check(path, resolved);
      if (checked !== undefined) {
        out[spec.name] = checked;
        // router_settings wins over litellm_settings, and is read after it only if it comes later: keep the winner's path.
        if (section === 'router_settings' || !ctx.sources[spec.name]?.startsWith('router_settings.')) ctx.sources[spec.name] = path;
      }
    } else if (redisSpec) {
      const resolved = resolveEnv(ctx, path, raw);
      if (resolved !== null && resolved !== undefined) {
        ((out.redis ??= {}) as Record<string, unknown>)[redisSpec.name] = redisSpec.check(path, resolved);
        // What the Router finds wrong with `redis.port` is `router_settings.redis_port` here; `redis` as a whole, its first key.
        ctx.sources[`redis.${redisSpec.name}`] = path;
        ctx.sources.redis ??= path;
      }
    } else if (!(section === 'litellm_settings' && CACHE_KEYS.has(key))) {
      ignore(ctx, path, raw, own(IGNORED_REASONS, key) ?? `not a ${section} key llmcache supports`);
    }
  }
  return out;
}
