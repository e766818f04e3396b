import { readFileSync } from 'node:fs';
import { MAX_TIMER_MS, type CacheOptions } from '@llmcache/core';
import { CACHE_OPTION_NAMES, describeValue, normalizeCallType, validateCacheOptions } from '@llmcache/core/internal';
import { parse, type Tags } from 'yaml';
import { providerEnvDefaults } from './config-env';
import { RouterConfigError } from './errors';
import { stderrLogger } from './logger';
import type { DeploymentParams, IgnoredConfigKey, ModelGroupAliasTarget, ModelListEntry, RedisConnection, RouterOptions, RoutingStrategyName } from './types';

/** The result of translating a LiteLLM proxy `config.yaml`. */
export interface LiteLLMConfigTranslation {
  /** `model_list`, `router_settings` and the router part of `litellm_settings`, ready for `new Router({ ...routerOptions, cache })`. */
  routerOptions: Omit<RouterOptions, 'cache' | 'state'>;
  /** Set when `litellm_settings.cache` is true: the Cache options from `litellm_settings.cache_params` (camelCased). */
  cacheOptions: CacheOptions | undefined;
  /**
   * Dotted paths of the keys present in the config that llmcache does not support and ignored, in document order,
   * e.g. `general_settings.master_key`, `router_settings.enable_pre_call_checks`, `litellm_settings.success_callback`.
   * Unknown `litellm_params` (`temperature`, `vertex_project`, …) are NOT listed: they pass through to the provider.
   * Keys whose value is null or empty (`general_settings: {}`) are not listed either, since nothing is lost.
   */
  unsupported: string[];
  /** The same keys, each with why it is ignored (`general_settings.alerting: proxy feature`). */
  ignored: IgnoredConfigKey[];
  /** Router option → where the file set it (`fallbacks` → `router_settings.fallbacks`): for {@link configPathOf}. */
  sources: Record<string, string>;
}

type Obj = Record<string, unknown>;
export type { IgnoredConfigKey };
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
 * - `environment_variables` entries are set over `env` for this config only (LiteLLM sets them into
 *   `os.environ` at load; `process.env` is never changed): `os.environ/NAME` sees them, and a deployment without
 *   `api_key` / `api_base` gets them from its provider's variables among these entries.
 * - `os.environ/NAME` values in everything that is translated are replaced by `env[NAME]`.
 * - YAML is read as PyYAML reads it (YAML 1.1): `20_000` is a number, `yes`/`on`/`True` are true.
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

  // Read first, wherever it is in the file: every os.environ/ lookup sees it.
  const fileVars = translateEnvironmentVariables(env, root.environment_variables);
  const ctx: Context = { env: { ...env, ...fileVars }, fileVars, ignored: [], sources: {} };
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
    } else if (key === 'general_settings' && isObject(value)) {
      for (const [name, v] of Object.entries(value)) ignore(ctx, `general_settings.${name}`, v, 'proxy feature');
    } else if (key !== 'environment_variables') ignore(ctx, key, value, key === 'general_settings' ? 'proxy feature' : 'not a section llmcache reads');
  }
  if (modelList === undefined) throw new RouterConfigError('model_list', 'is required (a list of { model_name, litellm_params })');

  return {
    routerOptions: { modelList, ...fromLitellm, ...fromRouter },
    cacheOptions,
    unsupported: ctx.ignored.map((i) => i.path),
    ignored: ctx.ignored,
    sources: ctx.sources,
  };
}

/**
 * The config file path of a Router option path, so that an error the Router finds names the place in the file:
 * `modelList[2].params.apiBase` → `model_list[2].litellm_params.api_base`, `fallbacks[0]` → `router_settings.fallbacks[0]`.
 */
export function configPathOf(option: string, sources: Readonly<Record<string, string>>): string {
  const deployment = /^modelList\[(\d+)\](?:\.(params|modelName|info)(.*))?$/.exec(option);
  if (deployment) {
    const [, i, part, rest = ''] = deployment;
    if (!part) return `model_list[${i}]${rest}`;
    if (part === 'modelName') return `model_list[${i}].model_name${rest}`;
    if (part === 'info') return `model_list[${i}].model_info${rest}`;
    const param = /^\.([A-Za-z_]+)(.*)$/.exec(rest);
    return param ? `model_list[${i}].litellm_params.${PARAM_FILE_NAMES.get(param[1]!) ?? param[1]}${param[2]}` : `model_list[${i}].litellm_params${rest}`;
  }
  // An option the file set under a name of its own (`redis.port` ← `router_settings.redis_port`).
  if (Object.hasOwn(sources, option)) return sources[option]!;
  const top = /^([A-Za-z]+)(.*)$/.exec(option);
  const source = top ? sources[top[1]!] : undefined;
  return source ? `${source}${top![2]}` : option;
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
    if ((cause as { code?: unknown }).code === 'ENOENT') throw new RouterConfigError('config', `file ${path} does not exist`, { cause });
    throw new RouterConfigError('config', `cannot read ${path}: ${errorMessage(cause)}`, { cause });
  }
  return translateLiteLLMConfig(parseYaml(text, path), env);
}

// ---------------------------------------------------------------------------------------------------------------------

/**
 * Whether a string given to `fromConfig` is meant as a file name rather than YAML text: one line, not a flow
 * mapping or list, no `key: value`, and a config file's extension or a path separator.
 */
export function looksLikeConfigPath(text: string): boolean {
  if (/[\n\r]/.test(text) || /^\s*[{[]/.test(text) || /:\s/.test(text)) return false;
  return /\.(ya?ml|json)$/i.test(text) || /[/\\]/.test(text);
}

interface Context {
  /** The given env with `environment_variables` over it. */
  env: Env;
  /** `environment_variables` alone: where provider defaults are looked up. */
  fileVars: Env;
  ignored: IgnoredConfigKey[];
  sources: Record<string, string>;
}

// PyYAML resolves booleans from these words only (YAML 1.1 without `y`/`n`), and llmcache keeps dates as the
// text written (`api_version: 2024-10-21`), which is what LiteLLM's str() of PyYAML's date gives back.
const PYYAML_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PYYAML_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
const BOOL_TAG = 'tag:yaml.org,2002:bool';
const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';

function pyyamlTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const tag of tags) {
    if (typeof tag === 'string' || tag.tag === TIMESTAMP_TAG) {
      if (typeof tag === 'string') out.push(tag);
      continue;
    }
    // yaml's 1.1 booleans are one tag for true words and one for false words; PyYAML's lists lack y/n.
    if (tag.tag === BOOL_TAG && 'test' in tag && tag.test) out.push({ ...tag, test: tag.test.test('true') ? PYYAML_TRUE : PYYAML_FALSE });
    else out.push(tag);
  }
  return out;
}

function parseYaml(text: string, source?: string): unknown {
  try {
    return parse(text, { merge: true, version: '1.1', customTags: pyyamlTags });
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

/** Records an ignored key and why, unless it holds nothing (null, `{}`, `[]`). */
function ignore(ctx: Context, path: string, value: unknown, reason: string): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value) ? value.length === 0 : isObject(value) && Object.keys(value).length === 0) return;
  ctx.ignored.push({ path, reason });
}

/** `environment_variables`: name → value as text (PyYAML may have made a number or boolean of it). */
function translateEnvironmentVariables(env: Env, value: unknown): Env {
  if (value === null || value === undefined) return {};
  if (!isObject(value)) throw new RouterConfigError('environment_variables', `must be a mapping of NAME: value, got ${describeValue(value)}`);
  const out: Env = {};
  for (const [name, raw] of Object.entries(value)) {
    const path = `environment_variables.${name}`;
    if (raw === null || raw === undefined) continue;
    // An entry may itself point at the real environment.
    const resolved = resolveEnv({ env, fileVars: {}, ignored: [], sources: {} }, path, raw);
    if (typeof resolved === 'object') throw new RouterConfigError(path, `must be a string, number or boolean, got ${describeValue(resolved)}`);
    // Python's str() of a YAML boolean is True/False, which is what LiteLLM puts in os.environ.
    setOwn(out, name, typeof resolved === 'boolean' ? (resolved ? 'True' : 'False') : String(resolved));
  }
  return out;
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

/** `{ alias: group }` or `{ alias: { model: group, hidden: true } }`: LiteLLM's `model_group_alias` (the Router checks the groups). */
const aliasMap: Check<Record<string, string | ModelGroupAliasTarget>> = (path, value) => {
  if (!isObject(value)) throw new RouterConfigError(path, `must be a mapping of alias to model group, got ${describeValue(value)}`);
  const out: Record<string, string | ModelGroupAliasTarget> = {};
  for (const [alias, target] of Object.entries(value)) {
    const at = `${path}.${alias}`;
    if (isObject(target)) {
      const entry: ModelGroupAliasTarget = { ...target, model: nonEmptyString(`${at}.model`, target.model) };
      if (target.hidden !== undefined && target.hidden !== null) entry.hidden = boolean(`${at}.hidden`, target.hidden);
      else delete entry.hidden;
      setOwn(out, alias, entry);
    } else setOwn(out, alias, nonEmptyString(at, target));
  }
  return out;
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
  stream_timeout: { name: 'streamTimeout', check: timerSeconds },
  // LiteLLM hands it to the deployment's OpenAI client; llmcache retries in the router, with this deployment's budget.
  max_retries: { name: 'numRetries', check: numberCheck('a whole number, 0 to 100', (n) => Number.isInteger(n) && n >= 0 && n <= 100) },
  azure_ad_token: { name: 'azureAdToken', check: nonEmptyString },
  max_parallel_requests: { name: 'maxParallelRequests', check: positiveInteger },
  mock_response: { name: 'mockResponse', check: anyString },
  organization: { name: 'organization', check: anyString },
  drop_params: { name: 'dropParams', check: boolean },
};

/** Deployment param → its `litellm_params` key, for errors the Router finds. */
const PARAM_FILE_NAMES = new Map(Object.entries(KNOWN_PARAMS).map(([key, spec]) => [spec.name, key]));

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
    if (key === '__proto__') {
      ignore(ctx, keyPath, raw, 'cannot be passed as a provider param');
      continue;
    }
    const value = resolveEnv(ctx, keyPath, raw);
    const spec = own(KNOWN_PARAMS, key);
    if (!spec) params[key] = value;
    else if (value !== null && value !== undefined) params[spec.name] = spec.check(keyPath, value);
  }

  Object.assign(params, providerEnvDefaults(params.model as string, ctx.fileVars, params));

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
    } else ignore(ctx, keyPath, raw, 'not a deployment field llmcache reads');
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

/** A setting's option name and check; a check may answer undefined for a value that sets nothing (`set_verbose: false`). */
type SettingSpec = { [K in keyof RouterSettings]-?: { name: K; check: Check<NonNullable<RouterSettings[K]> | undefined> } }[keyof RouterSettings];

const ROUTER_SETTINGS: Record<string, SettingSpec> = {
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
const LITELLM_SETTINGS: Record<string, SettingSpec> = {
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

const port = numberCheck('a port number (1-65535)', (n) => Number.isInteger(n) && n >= 1 && n <= 65535);

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

/** Why a LiteLLM `cache_params` key has no effect here; any other unknown one is not a Cache option at all. */
const IGNORED_CACHE_PARAM_REASONS: Readonly<Record<string, string>> = {
  s3_api_version: 'the AWS SDK for JavaScript v3 has no API version setting',
  s3_use_ssl: 'the scheme of s3_endpoint_url decides; AWS itself is always HTTPS',
  s3_verify: 'TLS is always verified; trust a private CA with NODE_EXTRA_CA_CERTS, or pass your own S3Client to S3Backend',
  s3_config: 'a botocore Config has no JavaScript equivalent; pass your own S3Client to S3Backend',
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
    ignore(ctx, 'litellm_settings.cache_params', settings.cache_params, 'litellm_settings.cache is not true');
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
      ignore(ctx, `litellm_settings.cache_params.${key}`, value, own(IGNORED_CACHE_PARAM_REASONS, key) ?? 'not a Cache option of @llmcache/core');
      continue;
    }
    if (name === 'supportedCallTypes' && Array.isArray(value)) {
      const known = value.filter((t) => typeof t === 'string' && normalizeCallType(t) !== undefined);
      value.filter((t) => !known.includes(t)).forEach((t) => ignore(ctx, `litellm_settings.cache_params.supported_call_types: ${String(t)}`, t, 'a call type llmcache does not cache'));
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
