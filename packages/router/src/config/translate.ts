import { readFileSync } from 'node:fs';
import { type CacheOptions } from '@llmcache/core';
import { describeValue } from '@llmcache/core/internal';
import { RouterConfigError } from '../errors';
import type { IgnoredConfigKey, ModelListEntry, RouterOptions } from '../types';
import { translateCache } from './cache-params';
import { ignore, isObject, type Context, type Env } from './context';
import { translateEnvironmentVariables } from './env';
import { translateModelList } from './model-list';
import { LITELLM_SETTINGS, ROUTER_SETTINGS, translateSettings, type RouterSettings } from './settings';
import { errorMessage, parseYaml } from './yaml';

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
