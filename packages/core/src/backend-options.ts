import { CacheConfigError } from './errors';
import { describe, nonEmptyString, positiveInteger, trueOrFalse } from './validate';

// The options `new Cache({ type })` hands to a backend package, by name and plain type only. Core keeps
// them because the contract fixes the names and `new Cache()` must reject an unknown or mistyped option
// at construction, even when the package is not installed. What each one means, its default, its
// environment variable and any deeper check are the package's, written once in its `options.ts` (and
// README): look there, not here.

export interface RedisNode {
  host: string;
  port: number;
}

/** `type: 'redis'`, and the Redis connection of `redis-semantic`: see `RedisConnectionOptions` in @llmcache/redis. */
export interface RedisCacheOptions {
  /** Redis host. @default see @llmcache/redis */
  host?: string;
  /** Redis port. @default see @llmcache/redis */
  port?: number | string;
  /** Redis password. @default see @llmcache/redis */
  password?: string;
  /** Redis URL (`redis://…`, `rediss://…`). @default see @llmcache/redis */
  url?: string;
  /** Redis Cluster seed nodes. @default see @llmcache/redis */
  redisStartupNodes?: readonly RedisNode[];
  /** Redis ACL user name. @default see @llmcache/redis */
  username?: string;
  /** Connect to Redis over TLS. @default see @llmcache/redis */
  ssl?: boolean;
  /** Redis Sentinel nodes. @default see @llmcache/redis */
  sentinels?: readonly RedisNode[];
  /** Redis Sentinel: the monitored master's name. @default see @llmcache/redis */
  serviceName?: string;
  /** First part of every stored key. @default see `RedisBackendOptions.prefix` in @llmcache/redis */
  prefix?: string;
}

/** `type: 'redis-semantic'` / `'valkey-semantic'` (with the Redis options above): see `RedisSemanticBackendOptions` in @llmcache/redis-semantic. */
export interface RedisSemanticCacheOptions {
  /** Embedding model by name. @default see `RedisSemanticBackendOptions.embeddingModel` in @llmcache/redis-semantic */
  redisSemanticCacheEmbeddingModel?: string;
  /** Index name. @default see `RedisSemanticBackendOptions.indexName` in @llmcache/redis-semantic */
  redisSemanticCacheIndexName?: string;
}

/** `type: 'qdrant-semantic'`: see `QdrantSemanticBackendOptions` in @llmcache/qdrant. */
export interface QdrantCacheOptions {
  /** Qdrant URL. @default see @llmcache/qdrant */
  qdrantApiBase?: string;
  /** Qdrant API key. @default see @llmcache/qdrant */
  qdrantApiKey?: string;
  /** Qdrant collection. @default see @llmcache/qdrant */
  qdrantCollectionName?: string;
  /** Embedding model by name. @default see `QdrantSemanticBackendOptions.embeddingModel` in @llmcache/qdrant */
  qdrantSemanticCacheEmbeddingModel?: string;
  /** How a new collection quantizes its vectors. @default see @llmcache/qdrant */
  qdrantQuantizationConfig?: 'binary' | 'scalar' | 'product';
}

/** `type: 's3'`: see `S3ConnectionOptions` and `S3BackendOptions` in @llmcache/s3. */
export interface S3CacheOptions {
  /** S3 bucket. @default see @llmcache/s3 */
  s3BucketName?: string;
  /** S3 region. @default see @llmcache/s3 */
  s3RegionName?: string;
  /** S3 access key id. @default see @llmcache/s3 */
  s3AwsAccessKeyId?: string;
  /** S3 secret key. @default see @llmcache/s3 */
  s3AwsSecretAccessKey?: string;
  /** S3 session token. @default see @llmcache/s3 */
  s3AwsSessionToken?: string;
  /** Key prefix inside the bucket. @default see @llmcache/s3 */
  s3Path?: string;
  /** S3-compatible endpoint. @default see @llmcache/s3 */
  s3EndpointUrl?: string;
  /** Path-style bucket addressing. @default see @llmcache/s3 */
  s3ForcePathStyle?: boolean;
}

/** `type: 'gcs'`: see `GcsBackendOptions` in @llmcache/gcs. */
export interface GcsCacheOptions {
  /** GCS bucket. @default see @llmcache/gcs */
  gcsBucketName?: string;
  /** Credentials file. @default see @llmcache/gcs */
  gcsPathServiceAccount?: string;
  /** Object prefix inside the bucket. @default see @llmcache/gcs */
  gcsPath?: string;
  /** GCS API endpoint. @default see @llmcache/gcs */
  gcsApiEndpoint?: string;
}

/** `type: 'azure-blob'`: see `AzureBlobBackendOptions` in @llmcache/azure-blob. */
export interface AzureBlobCacheOptions {
  /** Azure storage account URL. @default see @llmcache/azure-blob */
  azureAccountUrl?: string;
  /** Azure Blob container. @default see @llmcache/azure-blob */
  azureBlobContainer?: string;
  /** Azure connection string. @default see @llmcache/azure-blob */
  azureConnectionString?: string;
  /** Blob name prefix. @default see @llmcache/azure-blob */
  azurePath?: string;
}

/** `type: 'disk'`: see `DiskBackendOptions` in @llmcache/disk. */
export interface DiskCacheOptions {
  /** Disk cache folder. @default see `DiskBackendOptions.dir` in @llmcache/disk */
  diskCacheDir?: string;
  /** Disk cache size bound in bytes. @default see `DiskBackendOptions.maxBytes` in @llmcache/disk */
  diskCacheMaxBytes?: number;
}

/** Every backend package's options, as `new Cache()` takes them. */
export interface BackendCacheOptions
  extends RedisCacheOptions, RedisSemanticCacheOptions, QdrantCacheOptions, S3CacheOptions, GcsCacheOptions, AzureBlobCacheOptions, DiskCacheOptions {}

/** Checks one option's value; throws a `CacheConfigError` naming it. */
export type OptionCheck = (option: string, value: unknown) => void;

const nonEmpty: OptionCheck = (option, value) => void nonEmptyString('core', option, value);

function string(option: string, value: unknown): void {
  if (typeof value !== 'string') throw new CacheConfigError('core', option, `must be a string, got ${describe(value)}`);
}

const boolean: OptionCheck = (option, value) => void trueOrFalse('core', option, value);

function port(option: string, value: unknown): void {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) {
    throw new CacheConfigError('core', option, `must be a port number (1-65535), got ${describe(value)}`);
  }
}

function nodes(option: string, value: unknown): void {
  if (!Array.isArray(value) || value.length === 0) throw new CacheConfigError('core', option, 'must be a non-empty array of { host, port }');
  value.forEach((node: Partial<RedisNode> | null, i) => {
    if (typeof node?.host !== 'string') throw new CacheConfigError('core', `${option}[${i}].host`, 'must be a string');
    port(`${option}[${i}].port`, node.port);
  });
}

/** The plain type of each backend option. */
export const BACKEND_OPTION_CHECKS: Record<keyof BackendCacheOptions, OptionCheck> = {
  host: nonEmpty,
  port,
  password: string,
  url: nonEmpty,
  redisStartupNodes: nodes,
  username: nonEmpty,
  ssl: boolean,
  sentinels: nodes,
  serviceName: nonEmpty,
  prefix: nonEmpty,
  redisSemanticCacheEmbeddingModel: nonEmpty,
  redisSemanticCacheIndexName: nonEmpty,
  qdrantApiBase: nonEmpty,
  qdrantApiKey: nonEmpty,
  qdrantCollectionName: nonEmpty,
  qdrantSemanticCacheEmbeddingModel: nonEmpty,
  qdrantQuantizationConfig: (option, value) => {
    if (value !== 'binary' && value !== 'scalar' && value !== 'product') {
      throw new CacheConfigError('core', option, `must be 'binary', 'scalar' or 'product', got ${describe(value)}`);
    }
  },
  s3BucketName: nonEmpty,
  s3RegionName: nonEmpty,
  s3AwsAccessKeyId: nonEmpty,
  s3AwsSecretAccessKey: nonEmpty,
  s3AwsSessionToken: nonEmpty,
  s3Path: string,
  s3EndpointUrl: nonEmpty,
  s3ForcePathStyle: boolean,
  gcsBucketName: nonEmpty,
  gcsPathServiceAccount: nonEmpty,
  gcsPath: string,
  gcsApiEndpoint: nonEmpty,
  azureAccountUrl: nonEmpty,
  azureBlobContainer: nonEmpty,
  azureConnectionString: nonEmpty,
  azurePath: string,
  diskCacheDir: nonEmpty,
  diskCacheMaxBytes: (option, value) => void positiveInteger('core', option, value),
};
