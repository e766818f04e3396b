import { readFileSync } from 'node:fs';
import { CACHE_OPTION_NAMES, describeValue, MAX_TIMER_MS, normalizeCallType, validateCacheOptions, type CacheOptions } from '@llmcache/core';
import { parse } from 'yaml';
import { RouterConfigError } from './errors';
import type { DeploymentParams, ModelListEntry, RedisConnection, RouterOptions, RoutingStrategyName } from './types';

/** The result of translating a LiteLLM proxy `config.yaml`. */
export interface LiteLLMConfigTranslation {
  /** `model_list`, `router_settings` and the router part of `litellm_settings`, ready for `new Router({ ...routerOptions, cache })`. */
  routerOptions: Omit<RouterOptions, 'cache' | 'state'>;
  /** Set when `litellm_settings.cache` is true: the Cache options from `litellm_settings.cache_params` (camelCased). */
  cacheOptions: CacheOptions | undefined;
  /**
   * Dotted paths of the keys present in the config that llmcache does not support and ignored, in document order,
   * e.g. `general_settings`, `router_settings.enable_pre_call_checks`, `litellm_settings.success_callback`,
   * `model_list[0].litellm_params.stream_timeout`. Unknown `litellm_params` (`temperature`, `vertex_project`, …) are
   * NOT listed: they pass through to the provider. Keys whose value is null or empty (`general_settings: {}`) are not
   * listed either, since nothing is lost.
   */
  unsupported: string[];
}

type Obj = Record<string, unknown>;
/** Where `os.environ/NAME` values are looked up: a plain record, so the published types need no @types/node. */
type Env = Record<string, string | undefined>;
type RouterSettings = Omit<RouterOptions, 'cache' | 'state' | 'modelList'>;

const ENV_PREFIX = 'os.environ/';

/**
 * Translates a LiteLLM proxy config into Router options and Cache options.
 *
 * - `model_list[]` becomes `modelList` (`litellm_params` → `params`, known keys camelCased, other keys passed through
 *   unchanged as provider params; `model_info` → `info`).
 * - `router_settings` (and the router keys of `litellm_settings`; `router_settings` wins) become router options.
 * - `router_settings.redis_host`/`redis_port`/`redis_password`/`redis_url` become the `redis` option (shared routing state).
 * - `litellm_settings.cache: true` with `cache_params` becomes `cacheOptions`, validated with `validateCacheOptions`;
 *   without a `type` it is Redis, as LiteLLM's proxy has it.
 * - `os.environ/NAME` values in everything that is translated are replaced by `env[NAME]`.
 *
 * @param config The parsed config object, or its YAML (or JSON) text.
 * @param env Where `os.environ/NAME` values are looked up. @default process.env
 * @throws RouterConfigError naming the dotted path (`model_list[1].litellm_params.rpm`) of a mistyped or missing value,
 *   or of an `os.environ/` reference to an unset variable; option `config` for a YAML syntax error.
 * @throws CacheConfigError (from `@llmcache/core`) for an invalid `cache_params` value, naming the camelCased option.
 */
export function translateLiteLLMConfig(config: unknown, env: Env = process.env): LiteLLMConfigTranslation {
  const root = typeof config === 'string' ? parseYaml(config) : config;
  if (!isObject(root)) throw new RouterConfigError('config', `must be a mapping with a model_list, got ${describeValue(root)}`);

  const ctx: Context = { env, unsupported: [] };
  let modelList: ModelListEntry[] | undefined;
  let fromRouter: RouterSettings = {};
  let fromLitellm: RouterSettings = {};
  let cacheOptions: CacheOptions | undefined;

  for (const [key, value] of Object.entries(root)) {
    if (key === 'model_list') modelList = translateModelList(ctx, value);
    else if (key === 'router_settings') fromRouter = translateSettings(ctx, 'router_settings', value, ROUTER_SETTINGS);
    else if (key === 'litellm_settings') {
      fromLitellm = translateSettings(ctx, 'litellm_settings', value, LITELLM_SETTINGS);
      cacheOptions = translateCache(ctx, value);
    } else ignore(ctx, key, value);
  }
  if (modelList === undefined) throw new RouterConfigError('model_list', 'is required (a list of { model_name, litellm_params })');

  return { routerOptions: { modelList, ...fromLitellm, ...fromRouter }, cacheOptions, unsupported: ctx.unsupported };
}

/**
 * Reads a LiteLLM proxy config file (YAML or JSON) and translates it with {@link translateLiteLLMConfig}.
 *
 * @param path The file to read (UTF-8).
 * @param env Where `os.environ/NAME` values are looked up. @default process.env
 * @throws RouterConfigError with option `config` when the file cannot be read or is not valid YAML; otherwise as
 *   {@link translateLiteLLMConfig}.
 */
export function readLiteLLMConfig(path: string, env: Env = process.env): LiteLLMConfigTranslation {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RouterConfigError('config', `cannot read ${path}: ${errorMessage(cause)}`, { cause });
  }
  return translateLiteLLMConfig(parseYaml(text, path), env);
}

// ---------------------------------------------------------------------------------------------------------------------

interface Context {
  env: Env;
  unsupported: string[];
}

function parseYaml(text: string, source?: string): unknown {
  try {
    return parse(text, { merge: true });
  } catch (cause) {
    throw new RouterConfigError('config', `${source ? `${source} is` : 'is'} not valid YAML: ${errorMessage(cause)}`, { cause });
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `table[key]` when `key` is the table's own: config keys such as `constructor` are not Object's members. */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Sets `obj[key]` as plain data: a `__proto__` key (YAML and JSON.parse make one) stays a key, not a prototype. */
function setOwn(obj: Obj, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Records an ignored key, unless it holds nothing (null, `{}`, `[]`). */
function ignore(ctx: Context, path: string, value: unknown): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value) ? value.length === 0 : isObject(value) && Object.keys(value).length === 0) return;
  ctx.unsupported.push(path);
}

/** Replaces every `os.environ/NAME` string inside `value` by `env[NAME]`. */
function resolveEnv(ctx: Context, path: string, value: unknown): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(ENV_PREFIX)) return value;
    const name = value.slice(ENV_PREFIX.length);
    if (name === '') throw new RouterConfigError(path, `"${value}" names no environment variable`);
    const resolved = ctx.env[name];
    if (resolved === undefined) throw new RouterConfigError(path, `environment variable ${name} is not set (from "${value}")`);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveEnv(ctx, `${path}[${i}]`, item));
  if (isObject(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, resolveEnv(ctx, `${path}.${k}`, v));
    return out;
  }
  return value;
}

// ---- value checks: each takes the dotted path it names in its error -------------------------------------------------

type Check<T> = (path: string, value: unknown) => T;

/** A number, or a numeric string (what an `os.environ/` value always is). */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function numberCheck(what: string, ok: (n: number) => boolean): Check<number> {
  return (path, value) => {
    const n = toNumber(value);
    if (n === undefined || !Number.isFinite(n) || !ok(n)) throw new RouterConfigError(path, `must be ${what}, got ${describeValue(value)}`);
    return n;
  };
}

const positiveNumber = numberCheck('a positive number', (n) => n > 0);
// Seconds that feed a timer: past MAX_TIMER_MS, Node fires it after 1 ms.
const timerSeconds = numberCheck(`a number of seconds, over 0 to ${MAX_TIMER_MS / 1000} (the longest a timer can wait)`, (n) => n > 0 && n * 1000 <= MAX_TIMER_MS);
const timerSecondsOrZero = numberCheck(`a number of seconds, 0 to ${MAX_TIMER_MS / 1000} (the longest a timer can wait)`, (n) => n >= 0 && n * 1000 <= MAX_TIMER_MS);
const nonNegativeInteger = numberCheck('an integer of 0 or more', (n) => Number.isInteger(n) && n >= 0);
const positiveInteger = numberCheck('a positive integer', (n) => Number.isInteger(n) && n >= 1);

const nonEmptyString: Check<string> = (path, value) => {
  if (typeof value !== 'string' || value === '') throw new RouterConfigError(path, `must be a non-empty string, got ${describeValue(value)}`);
  return value;
};

/** true or false; an `os.environ/` value is a string, so `"true"`/`"false"` (any case) count too. */
const boolean: Check<boolean> = (path, value) => {
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  throw new RouterConfigError(path, `must be true or false, got ${describeValue(value)}`);
};

const anyString: Check<string> = (path, value) => {
  if (typeof value !== 'string') throw new RouterConfigError(path, `must be a string, got ${describeValue(value)}`);
  return value;
};

const ROUTING_STRATEGIES: Record<string, RoutingStrategyName> = {
  'simple-shuffle': 'simple-shuffle',
  'least-busy': 'least-busy',
  'latency-based-routing': 'latency-based-routing',
  'usage-based-routing': 'usage-based-routing',
  'usage-based-routing-v2': 'usage-based-routing',
};

const routingStrategy: Check<RoutingStrategyName> = (path, value) => {
  const name = typeof value === 'string' ? own(ROUTING_STRATEGIES, value) : undefined;
  if (!name) throw new RouterConfigError(path, `must be one of ${Object.keys(ROUTING_STRATEGIES).join(', ')}, got ${describeValue(value)}`);
  return name;
};

function stringList(path: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new RouterConfigError(path, `must be a list of model group names, got ${describeValue(value)}`);
  return value.map((item, i) => nonEmptyString(`${path}[${i}]`, item));
}

/** `[{ 'gpt-4': ['gpt-3.5'] }, …]`, LiteLLM's fallbacks format. */
const groupMaps: Check<Array<Record<string, string[]>>> = (path, value) => {
  if (!Array.isArray(value)) throw new RouterConfigError(path, `must be a list of { group: [fallback groups] }, got ${describeValue(value)}`);
  return value.map((item, i) => {
    if (!isObject(item)) throw new RouterConfigError(`${path}[${i}]`, `must be a mapping of group to fallback groups, got ${describeValue(item)}`);
    const out: Record<string, string[]> = {};
    for (const [group, targets] of Object.entries(item)) setOwn(out, group, stringList(`${path}[${i}].${group}`, targets));
    return out;
  });
};

/** A Python tuple written as a string, `("a", "b")` or `(a, b)`. */
const TUPLE = /^\(\s*(.*?)\s*,?\s*\)$/s;

/** `[['a', 'b'], …]`; a group may also be written as LiteLLM's Python tuple, `('a', 'b')`. */
const cachingGroups: Check<string[][]> = (path, value) => {
  if (!Array.isArray(value)) throw new RouterConfigError(path, `must be a list of lists of model group names, got ${describeValue(value)}`);
  return value.map((group, i) => {
    const tuple = typeof group === 'string' ? TUPLE.exec(group.trim()) : null;
    const names = tuple ? tuple[1]!.split(',').map((s) => s.trim().replace(/^(['"])(.*)\1$/, '$2')) : group;
    if (!Array.isArray(names) || names.length === 0) {
      throw new RouterConfigError(`${path}[${i}]`, `must be a non-empty list of model group names, got ${describeValue(group)}`);
    }
    return stringList(`${path}[${i}]`, names);
  });
};

// ---- model_list ---------------------------------------------------------------------------------------------------

interface ParamSpec {
  name: string;
  check: Check<unknown>;
}

/** `litellm_params` keys llmcache knows, and their camelCase names. Unknown keys go to the provider unchanged. */
const KNOWN_PARAMS: Record<string, ParamSpec> = {
  model: { name: 'model', check: nonEmptyString },
  api_key: { name: 'apiKey', check: anyString },
  api_base: { name: 'apiBase', check: nonEmptyString },
  api_version: { name: 'apiVersion', check: nonEmptyString },
  // Positive, as the Router requires: a zero limit is refused here, naming the YAML path.
  rpm: { name: 'rpm', check: positiveNumber },
  tpm: { name: 'tpm', check: positiveNumber },
  weight: { name: 'weight', check: positiveNumber },
  timeout: { name: 'timeout', check: timerSeconds },
  max_parallel_requests: { name: 'maxParallelRequests', check: positiveInteger },
  mock_response: { name: 'mockResponse', check: anyString },
  organization: { name: 'organization', check: anyString },
  drop_params: { name: 'dropParams', check: boolean },
};

/** `litellm_params` keys LiteLLM itself consumes that llmcache does not support: dropped and listed. */
const UNSUPPORTED_PARAMS = new Set(['stream_timeout', 'max_retries']);

function translateModelList(ctx: Context, value: unknown): ModelListEntry[] {
  if (!Array.isArray(value)) throw new RouterConfigError('model_list', `must be a list of deployments, got ${describeValue(value)}`);
  return value.map((entry, i) => translateDeployment(ctx, `model_list[${i}]`, entry));
}

function translateDeployment(ctx: Context, path: string, entry: unknown): ModelListEntry {
  if (!isObject(entry)) throw new RouterConfigError(path, `must be a mapping with model_name and litellm_params, got ${describeValue(entry)}`);
  const modelName = nonEmptyString(`${path}.model_name`, resolveEnv(ctx, `${path}.model_name`, entry.model_name));

  const rawParams = entry.litellm_params;
  if (!isObject(rawParams)) {
    throw new RouterConfigError(`${path}.litellm_params`, `must be a mapping with at least model, got ${describeValue(rawParams)}`);
  }
  if (rawParams.model === undefined || rawParams.model === null) throw new RouterConfigError(`${path}.litellm_params.model`, 'is required');

  const params: Obj = {};
  for (const [key, raw] of Object.entries(rawParams)) {
    const keyPath = `${path}.litellm_params.${key}`;
    // A `__proto__` key cannot travel as a provider param: set on an object, it would become its prototype.
    if (UNSUPPORTED_PARAMS.has(key) || key === '__proto__') {
      ignore(ctx, keyPath, raw);
      continue;
    }
    const value = resolveEnv(ctx, keyPath, raw);
    const spec = own(KNOWN_PARAMS, key);
    if (!spec) params[key] = value;
    else if (value !== null && value !== undefined) params[spec.name] = spec.check(keyPath, value);
  }

  const out: ModelListEntry = { modelName, params: params as DeploymentParams };
  for (const [key, raw] of Object.entries(entry)) {
    const keyPath = `${path}.${key}`;
    if (key === 'model_name' || key === 'litellm_params') continue;
    if (key === 'model_info') {
      const info = translateModelInfo(ctx, keyPath, raw);
      if (info) out.info = info;
    } else if ((key === 'rpm' || key === 'tpm') && raw !== null && raw !== undefined) {
      // LiteLLM also reads rpm/tpm at the deployment's top level; litellm_params wins.
      const n = positiveNumber(keyPath, resolveEnv(ctx, keyPath, raw));
      if (params[key] === undefined) params[key] = n;
    } else ignore(ctx, keyPath, raw);
  }
  return out;
}

function translateModelInfo(ctx: Context, path: string, raw: unknown): ModelListEntry['info'] {
  if (raw === null || raw === undefined) return undefined;
  const info = resolveEnv(ctx, path, raw);
  if (!isObject(info)) throw new RouterConfigError(path, `must be a mapping, got ${describeValue(info)}`);
  if (info.id === undefined || info.id === null) {
    delete info.id;
    return info;
  }
  const id = typeof info.id === 'number' && Number.isFinite(info.id) ? String(info.id) : info.id;
  return { ...info, id: nonEmptyString(`${path}.id`, id) };
}

// ---- router_settings / litellm_settings ---------------------------------------------------------------------------

type SettingSpec = { [K in keyof RouterSettings]-?: { name: K; check: Check<NonNullable<RouterSettings[K]>> } }[keyof RouterSettings];

const ROUTER_SETTINGS: Record<string, SettingSpec> = {
  routing_strategy: { name: 'routingStrategy', check: routingStrategy },
  num_retries: { name: 'numRetries', check: nonNegativeInteger },
  timeout: { name: 'timeout', check: timerSeconds },
  fallbacks: { name: 'fallbacks', check: groupMaps },
  context_window_fallbacks: { name: 'contextWindowFallbacks', check: groupMaps },
  allowed_fails: { name: 'allowedFails', check: nonNegativeInteger },
  cooldown_time: { name: 'cooldownTime', check: timerSecondsOrZero },
  caching_groups: { name: 'cachingGroups', check: cachingGroups },
  retry_after: { name: 'retryAfter', check: timerSecondsOrZero },
};

/** The router keys LiteLLM also accepts in `litellm_settings` (`router_settings` wins). */
const LITELLM_SETTINGS: Record<string, SettingSpec> = {
  num_retries: ROUTER_SETTINGS.num_retries!,
  request_timeout: ROUTER_SETTINGS.timeout!,
  fallbacks: ROUTER_SETTINGS.fallbacks!,
  context_window_fallbacks: ROUTER_SETTINGS.context_window_fallbacks!,
  allowed_fails: ROUTER_SETTINGS.allowed_fails!,
  cooldown_time: ROUTER_SETTINGS.cooldown_time!,
  drop_params: { name: 'dropParams', check: boolean },
};

const port = numberCheck('a port number (1-65535)', (n) => Number.isInteger(n) && n >= 1 && n <= 65535);

/** LiteLLM's `router_settings.redis_*`: where routers share cooldowns and usage, gathered into `redis`. */
const REDIS_SETTINGS: Record<string, { name: keyof RedisConnection; check: Check<unknown> }> = {
  redis_url: { name: 'url', check: nonEmptyString },
  redis_host: { name: 'host', check: nonEmptyString },
  redis_port: { name: 'port', check: port },
  redis_password: { name: 'password', check: anyString },
};

/** `litellm_settings` keys handled by `translateCache`. */
const CACHE_KEYS = new Set(['cache', 'cache_params']);

function translateSettings(ctx: Context, section: string, value: unknown, specs: Record<string, SettingSpec>): RouterSettings {
  if (value === null || value === undefined) return {};
  if (!isObject(value)) throw new RouterConfigError(section, `must be a mapping, got ${describeValue(value)}`);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const path = `${section}.${key}`;
    const spec = own(specs, key);
    const redisSpec = section === 'router_settings' ? own(REDIS_SETTINGS, key) : undefined;
    if (spec) {
      const resolved = resolveEnv(ctx, path, raw);
      if (resolved !== null && resolved !== undefined) out[spec.name] = spec.check(path, resolved);
    } else if (redisSpec) {
      const resolved = resolveEnv(ctx, path, raw);
      if (resolved !== null && resolved !== undefined) ((out.redis ??= {}) as Record<string, unknown>)[redisSpec.name] = redisSpec.check(path, resolved);
    } else if (!(section === 'litellm_settings' && CACHE_KEYS.has(key))) {
      ignore(ctx, path, raw);
    }
  }
  return out as RouterSettings;
}

// ---- litellm_settings.cache -----------------------------------------------------------------------------------------

/** Cache options that are numbers: a numeric string (from `os.environ/`) is converted. */
const NUMERIC_CACHE_OPTIONS = new Set([
  'ttl', 'similarityThreshold', 'maxSizeInMemory', 'maxBytesInMemory', 'maxSizePerItem', 'diskCacheMaxBytes', 'operationTimeoutMs', 'lockWaitMs',
]);

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function translateCache(ctx: Context, settings: unknown): CacheOptions | undefined {
  if (!isObject(settings)) return undefined;
  const enabled = cacheFlag(resolveEnv(ctx, 'litellm_settings.cache', settings.cache));
  if (!enabled) {
    ignore(ctx, 'litellm_settings.cache_params', settings.cache_params);
    return undefined;
  }
  const raw = resolveEnv(ctx, 'litellm_settings.cache_params', settings.cache_params ?? {});
  if (!isObject(raw)) throw new RouterConfigError('litellm_settings.cache_params', `must be a mapping, got ${describeValue(raw)}`);
  const options: Obj = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === null) continue;
    const name = snakeToCamel(key);
    // LiteLLM grows cache params (max_connections, socket_timeout, …): skip and report the ones we lack.
    if (!CACHE_OPTION_NAMES.has(name)) {
      ignore(ctx, `litellm_settings.cache_params.${key}`, value);
      continue;
    }
    if (name === 'supportedCallTypes' && Array.isArray(value)) {
      const known = value.filter((t) => typeof t === 'string' && normalizeCallType(t) !== undefined);
      value.filter((t) => !known.includes(t)).forEach((t) => ignore(ctx, `litellm_settings.cache_params.supported_call_types: ${String(t)}`, t));
      options[name] = known;
      continue;
    }
    options[name] = NUMERIC_CACHE_OPTIONS.has(name) ? (toNumber(value) ?? value) : value;
  }
  // LiteLLM's proxy takes `cache: true` with no type to mean Redis.
  options.type ??= 'redis';
  return validateCacheOptions(options);
}

function cacheFlag(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 'false' || value === 'False') return false;
  if (value === true || value === 'true' || value === 'True') return true;
  throw new RouterConfigError('litellm_settings.cache', `must be true or false, got ${describeValue(value)}`);
}
