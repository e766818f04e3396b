import { type CacheOptions } from '@llmcache/core';
import { CACHE_OPTION_NAMES, describeValue, normalizeCallType, validateCacheOptions } from '@llmcache/core/internal';
import { RouterConfigError } from '../errors';
import { toNumber } from './checks';
import { ignore, isObject, own, type Context, type Obj } from './context';
import { resolveEnv } from './env';

// `litellm_settings.cache` and `cache_params`: the Cache options of a config.

/** Why a LiteLLM `cache_params` key has no effect here; any other unknown one is not a Cache option at all. */
const IGNORED_CACHE_PARAM_REASONS: Readonly<Record<string, string>> = {
  s3_api_version: 'the AWS SDK for JavaScript v3 has no API version setting',
  s3_use_ssl: 'the scheme of s3_endpoint_url decides; AWS itself is always HTTPS',
  s3_verify: 'TLS is always verified; trust a private CA with NODE_EXTRA_CA_CERTS, or pass your own S3Client to S3Backend',
  s3_config: 'a botocore Config has no JavaScript equivalent; pass your own S3Client to S3Backend',
};

const NUMERIC_CACHE_OPTIONS = new Set([
  'ttl',
  'similarityThreshold',
  'maxSizeInMemory',
  'maxBytesInMemory',
  'maxSizePerItem',
  'diskCacheMaxBytes',
  'operationTimeoutMs',
  'lockWaitMs',
]);

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function translateCache(ctx: Context, settings: unknown): CacheOptions | undefined {
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
      value
        .filter((t) => !known.includes(t))
        .forEach((t) => ignore(ctx, `litellm_settings.cache_params.supported_call_types: ${String(t)}`, t, 'a call type llmcache does not cache'));
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
