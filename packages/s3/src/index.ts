import { withMemoryTier, type CacheBackend, type CacheOptions } from '@llmcache/core';
import { S3Backend } from './s3-backend';

export { S3Backend } from './s3-backend';
export type { S3BackendOptions } from './s3-backend';
export type { S3ClientLike, S3ConnectionOptions } from './options';

/**
 * Used by `new Cache({ type: 's3', s3BucketName, … })`: the bucket behind a memory tier (unless
 * `memoryTier: false`); each S3 request is bounded by `operationTimeoutMs`.
 */
export function createCacheBackend(options: CacheOptions): CacheBackend {
  const { s3BucketName, s3RegionName, s3AwsAccessKeyId, s3AwsSecretAccessKey, s3AwsSessionToken, s3Path, s3EndpointUrl, s3ForcePathStyle } = options;
  const remote = new S3Backend({
    s3BucketName: s3BucketName!,
    s3RegionName,
    s3AwsAccessKeyId,
    s3AwsSecretAccessKey,
    s3AwsSessionToken,
    s3Path,
    s3EndpointUrl,
    s3ForcePathStyle,
    requestTimeoutMs: options.operationTimeoutMs,
  });
  return withMemoryTier(remote, options);
}
