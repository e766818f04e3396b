import { withMemoryTier, type CacheBackend, type CacheOptions } from '@llmcache/core';
import { s3OptionsFromCacheOptions } from './options';
import { S3Backend } from './s3-backend';

export { S3Backend } from './s3-backend';
export type { S3BackendOptions, S3ClientLike, S3ConnectionOptions } from './options';

/**
 * Used by `new Cache({ type: 's3', s3BucketName, … })`: the bucket behind a memory tier (unless
 * `memoryTier: false`); each S3 request is bounded by `operationTimeoutMs`.
 */
export function createCacheBackend(options: CacheOptions): CacheBackend {
  return withMemoryTier(new S3Backend(s3OptionsFromCacheOptions(options)), options);
}
