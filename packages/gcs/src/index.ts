import { withMemoryTier, type CacheBackend, type CacheOptions } from '@llmcache/core';
import { GcsBackend } from './gcs-backend';
import { gcsOptionsFromCacheOptions } from './options';

export { GcsBackend } from './gcs-backend';
export { gcsOptionsFromEnv } from './options';
export type { GcsBackendOptions, GcsBucket, GcsStorage } from './options';

/** Used by `new Cache({ type: 'gcs', … })`: the bucket behind a memory tier, unless `memoryTier: false`. */
export function createCacheBackend(options: CacheOptions): CacheBackend {
  return withMemoryTier(new GcsBackend(gcsOptionsFromCacheOptions(options)), options);
}
