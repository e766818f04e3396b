import type { CacheBackend, Embedder } from './backend';
import { DEFAULT_SUPPORTED_CALL_TYPES, normalizeCallType, type CallTypeName } from './call-types';
import { CacheConfigError, requiredOptionError } from './errors';
import { isExternalCacheType } from './backend-registry';
import { checkEmbedder, type EmbedFunction } from './semantic';
import type { DistributedLock } from './single-flight';
import { describe, nonEmptyString, positiveInteger, positiveNumber, timerMilliseconds } from './validate';

/** When the cache is consulted: always, or only for requests that ask with `cache: { 'use-cache': true }`. */
export const CacheMode = { default_on: 'default_on', default_off: 'default_off' } as const;
export type CacheMode = (typeof CacheMode)[keyof typeof CacheMode];

/** Where entries live. `azure_blob` and `valkey-semantic` (a Redis semantic cache on Valkey) are accepted as LiteLLM spells them. */
export type CacheType = 'local' | 'redis' | 'redis-semantic' | 'valkey-semantic' | 'qdrant-semantic' | 's3' | 'gcs' | 'azure-blob' | 'azure_blob' | 'disk';

/** Types that answer by meaning as well as by exact key: they need `similarityThreshold`. */
export const SEMANTIC_CACHE_TYPES: readonly CacheType[] = ['redis-semantic', 'valkey-semantic', 'qdrant-semantic'];

export interface RedisNode {
  host: string;
  port: number;
}

/** Options of `new Cache()`: LiteLLM's `Cache(...)` arguments in camelCase, plus a few of llmcache's own. */
export interface CacheOptions {
  /**
   * Storage type; its package is loaded on demand (`redis` → `@llmcache/redis`, …). A backend from
   * another package takes `ExternalCacheOptions` instead (`type: '@acme/llmcache-dynamo'`).
   * @default 'local'
   */
  type?: CacheType;
  /** A backend instance to use instead of `type`. */
  backend?: CacheBackend;
  /**
   * Default entry lifetime in seconds; `null` for entries that never expire.
   * @default 600
   */
  ttl?: number | null;
  /** Prefixes every key as `namespace:hex`; caches in different namespaces never see each other. */
  namespace?: string;
  /**
   * `default_on`: every supported call reads and writes. `default_off`: only calls with `cache: { 'use-cache': true }`.
   * @default CacheMode.default_on
   */
  mode?: CacheMode;
  /**
   * Call types served from the cache; the `a*` names are aliases.
   * @default ['completion','acompletion','embedding','aembedding','transcription','atranscription','text_completion','atext_completion']
   */
  supportedCallTypes?: readonly CallTypeName[];
  /**
   * Longest wait for one backend operation, in ms; a slower one is abandoned as a miss (or a failed write) and reported.
   * At most `MAX_TIMER_MS` (about 24.8 days).
   * @default 2000
   */
  operationTimeoutMs?: number;
  /** Cross-process lock so that a miss is computed once across processes (see `DistributedLock`). */
  lock?: DistributedLock;
  /**
   * How long a caller that could not take `lock` waits for the winner's value before computing itself, in ms.
   * At most `MAX_TIMER_MS` (about 24.8 days).
   * @default 30000
   */
  lockWaitMs?: number;

  /** In-memory cache: most entries. @default 200 */
  maxSizeInMemory?: number;
  /** In-memory cache: most total bytes. @default 67108864 */
  maxBytesInMemory?: number;
  /** In-memory cache: largest entry stored, in KB. @default 1024 */
  maxSizePerItem?: number;

  /** Redis host. @default process.env.REDIS_HOST, else '127.0.0.1' */
  host?: string;
  /** Redis port. @default process.env.REDIS_PORT, else 6379 */
  port?: number | string;
  /** Redis password. @default process.env.REDIS_PASSWORD */
  password?: string;
  /** Redis URL (`redis://…`, `rediss://…`); wins over host/port. @default process.env.REDIS_URL */
  url?: string;
  /** Redis Cluster seed nodes; when given, a cluster client is used. */
  redisStartupNodes?: readonly RedisNode[];
  /** Redis ACL user name. @default process.env.REDIS_USERNAME */
  username?: string;
  /** Connect to Redis over TLS. @default process.env.REDIS_SSL === 'true', or a `rediss://` url */
  ssl?: boolean;
  /** Redis Sentinel nodes; when given, the master named `serviceName` is found through them. @default process.env.REDIS_SENTINEL_NODES */
  sentinels?: readonly RedisNode[];
  /** Redis Sentinel: the monitored master's name. @default process.env.REDIS_SERVICE_NAME, else 'mymaster' */
  serviceName?: string;
  /** Remote stores: first part of every stored key (`prefix:namespace:hash`). @default 'llmcache' */
  prefix?: string;
  /** Remote stores: keep hot entries in an in-process tier in front of the store. @default true */
  memoryTier?: boolean;
  /** Semantic caches: least cosine similarity that counts as a hit, in (0, 1]. Required for semantic types. */
  similarityThreshold?: number;
  /**
   * Redis semantic cache: embedding model, a model group of the Router that uses the cache (its calls are
   * then routed, retried and cached like any other), else a `provider/model` called with the environment's
   * credentials. @default 'text-embedding-ada-002'
   */
  redisSemanticCacheEmbeddingModel?: string;
  /** Redis semantic cache: index name. @default 'litellm_semantic_cache_index' */
  redisSemanticCacheIndexName?: string;
  /** Qdrant URL. @default process.env.QDRANT_URL, else process.env.QDRANT_API_BASE */
  qdrantApiBase?: string;
  /** Qdrant API key. @default process.env.QDRANT_API_KEY */
  qdrantApiKey?: string;
  /** Qdrant collection. Required for `qdrant-semantic`. */
  qdrantCollectionName?: string;
  /** Qdrant semantic cache: embedding model, as `redisSemanticCacheEmbeddingModel`. @default 'text-embedding-ada-002' */
  qdrantSemanticCacheEmbeddingModel?: string;
  /** Qdrant semantic cache: how a new collection quantizes its vectors (LiteLLM's `qdrant_quantization_config`). @default 'binary' */
  qdrantQuantizationConfig?: 'binary' | 'scalar' | 'product';
  /**
   * Semantic caches: the embedder, instead of an embedding model by name: an object with
   * `embed(texts) => Promise<vectors>`, or that function itself. Vectors may have any length, the same for all.
   */
  embedder?: Embedder | EmbedFunction;
  /** S3 bucket. Required for `s3`. */
  s3BucketName?: string;
  /** S3 region. @default process.env.AWS_REGION, else AWS_DEFAULT_REGION, else the AWS profile's region */
  s3RegionName?: string;
  /** S3 access key id (with `s3AwsSecretAccessKey`). @default the AWS SDK's credential chain */
  s3AwsAccessKeyId?: string;
  /** S3 secret key (with `s3AwsAccessKeyId`). @default the AWS SDK's credential chain */
  s3AwsSecretAccessKey?: string;
  /** S3 session token of temporary keys (with the two above). @default the AWS SDK's credential chain */
  s3AwsSessionToken?: string;
  /** Key prefix inside the bucket. @default '' */
  s3Path?: string;
  /** S3-compatible endpoint (MinIO, R2, s3rver). @default process.env.AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS */
  s3EndpointUrl?: string;
  /** Address the bucket in the path (`endpoint/bucket/key`) rather than the host name. @default true when an endpoint is set, else false */
  s3ForcePathStyle?: boolean;
  /** GCS bucket. Required for `gcs`. */
  gcsBucketName?: string;
  /** Service-account key file. @default Application Default Credentials */
  gcsPathServiceAccount?: string;
  /** Object prefix inside the bucket. @default '' */
  gcsPath?: string;
  /** GCS API endpoint (an emulator). @default Google's */
  gcsApiEndpoint?: string;
  /** Azure storage account URL, used with the default Azure credential chain. */
  azureAccountUrl?: string;
  /** Azure Blob container. Required for `azure-blob`. */
  azureBlobContainer?: string;
  /** Azure connection string; wins over `azureAccountUrl`. */
  azureConnectionString?: string;
  /** Blob name prefix. @default '' */
  azurePath?: string;
  /** Disk cache folder. @default '.llmcache' */
  diskCacheDir?: string;
  /** Disk cache size bound in bytes; the oldest entries go first past it. @default 1073741824 (1 GiB) */
  diskCacheMaxBytes?: number;
}

type Check = (option: string, value: unknown) => void;

const nonEmpty: Check = (option, value) => void nonEmptyString('core', option, value);
const wholeNumber: Check = (option, value) => void positiveInteger('core', option, value);
const positive: Check = (option, value) => void positiveNumber('core', option, value);
const timer: Check = (option, value) => void timerMilliseconds('core', option, value);

const CHECKS: Record<keyof CacheOptions, Check> = {
  type: (option, value) => {
    if (!CACHE_TYPES.includes(value as CacheType) && !isExternalCacheType(value)) {
      throw new CacheConfigError('core', option, `must be one of ${CACHE_TYPES.join(', ')} or a scoped package name (@scope/name), got ${describe(value)}`);
    }
  },
  backend: (option, value) => {
    const b = value as Partial<CacheBackend> | null;
    if (typeof b !== 'object' || b === null || typeof b.get !== 'function' || typeof b.set !== 'function' || typeof b.delete !== 'function') {
      throw new CacheConfigError('core', option, 'must be a CacheBackend (an object with get, set and delete)');
    }
  },
  ttl: (option, value) => {
    if (value !== null) positive(option, value);
  },
  namespace: nonEmpty,
  mode: (option, value) => {
    if (value !== CacheMode.default_on && value !== CacheMode.default_off) {
      throw new CacheConfigError('core', option, `must be CacheMode.default_on or CacheMode.default_off, got ${describe(value)}`);
    }
  },
  supportedCallTypes: (option, value) => {
    if (!Array.isArray(value)) throw new CacheConfigError('core', option, 'must be an array of call types');
    for (const name of value) {
      if (typeof name !== 'string' || normalizeCallType(name) === undefined) {
        throw new CacheConfigError('core', option, `unknown call type ${describe(name)}; known: ${DEFAULT_SUPPORTED_CALL_TYPES.join(', ')}`);
      }
    }
  },
  operationTimeoutMs: timer,
  lock: (option, value) => {
    if (typeof (value as { acquire?: unknown } | null)?.acquire !== 'function') {
      throw new CacheConfigError('core', option, 'must be a DistributedLock (an object with acquire)');
    }
  },
  lockWaitMs: timer,
  maxSizeInMemory: wholeNumber,
  maxBytesInMemory: wholeNumber,
  maxSizePerItem: positive,
  host: nonEmpty,
  port: (option, value) => {
    const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new CacheConfigError('core', option, `must be a port number (1-65535), got ${describe(value)}`);
    }
  },
  password: (option, value) => {
    if (typeof value !== 'string') throw new CacheConfigError('core', option, `must be a string, got ${describe(value)}`);
  },
  url: nonEmpty,
  redisStartupNodes: (option, value) => {
    if (!Array.isArray(value) || value.length === 0) throw new CacheConfigError('core', option, 'must be a non-empty array of { host, port }');
    value.forEach((node: Partial<RedisNode> | null, i) => {
      if (typeof node?.host !== 'string') throw new CacheConfigError('core', `${option}[${i}].host`, 'must be a string');
      CHECKS.port(`${option}[${i}].port`, node.port);
    });
  },
  username: nonEmpty,
  ssl: boolean,
  sentinels: (option, value) => CHECKS.redisStartupNodes(option, value),
  serviceName: nonEmpty,
  prefix: nonEmpty,
  memoryTier: boolean,
  similarityThreshold: (option, value) => {
    if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
      throw new CacheConfigError('core', option, `must be a number in (0, 1], got ${describe(value)}`);
    }
  },
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
  embedder: (option, value) => {
    checkEmbedder('core', option, value);
  },
  s3BucketName: nonEmpty,
  s3RegionName: nonEmpty,
  s3AwsAccessKeyId: nonEmpty,
  s3AwsSecretAccessKey: nonEmpty,
  s3AwsSessionToken: nonEmpty,
  s3Path: prefix,
  s3EndpointUrl: nonEmpty,
  s3ForcePathStyle: boolean,
  gcsBucketName: nonEmpty,
  gcsPathServiceAccount: nonEmpty,
  gcsPath: prefix,
  gcsApiEndpoint: nonEmpty,
  azureAccountUrl: nonEmpty,
  azureBlobContainer: nonEmpty,
  azureConnectionString: nonEmpty,
  azurePath: prefix,
  diskCacheDir: nonEmpty,
  diskCacheMaxBytes: wholeNumber,
};

function boolean(option: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new CacheConfigError('core', option, `must be true or false, got ${describe(value)}`);
}

function prefix(option: string, value: unknown): void {
  if (typeof value !== 'string') throw new CacheConfigError('core', option, `must be a string, got ${describe(value)}`);
}

/** Every option `new Cache()` accepts. */
export const CACHE_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(CHECKS));

export const CACHE_TYPES: readonly CacheType[] = ['local', 'redis', 'redis-semantic', 'valkey-semantic', 'qdrant-semantic', 's3', 'gcs', 'azure-blob', 'azure_blob', 'disk'];

/** Throws `CacheConfigError` naming the first unknown, mistyped or out-of-range option. `undefined` means "not given". */
export function validateCacheOptions(options: unknown): CacheOptions {
  // ExternalCacheOptions too; typed as CacheOptions, which is all core reads of them.
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new CacheConfigError('core', 'options', `must be an object, got ${describe(options)}`);
  }
  // An external backend defines options core does not know: they pass to its factory unchecked.
  const external = isExternalCacheType((options as { type?: unknown }).type);
  for (const [name, value] of Object.entries(options)) {
    // Own names only: `constructor`, `toString` or an own `__proto__` key are unknown options, not Object's members.
    const check = Object.hasOwn(CHECKS, name) ? (CHECKS as Record<string, Check>)[name] : undefined;
    if (!check && external) continue;
    if (!check) throw new CacheConfigError('core', name, `is not a Cache option${suggest(name)}`);
    if (value !== undefined) check(name, value);
  }
  const valid = options as CacheOptions;
  if (valid.backend && valid.type) throw new CacheConfigError('core', 'backend', 'give either type or backend, not both');
  if (valid.embedder && !valid.backend && !external && !SEMANTIC_CACHE_TYPES.includes(valid.type ?? 'local')) {
    throw new CacheConfigError('core', 'embedder', `is for semantic cache types (${SEMANTIC_CACHE_TYPES.join(', ')}), not ${valid.type ?? 'local'}`);
  }
  if (valid.type && SEMANTIC_CACHE_TYPES.includes(valid.type) && valid.similarityThreshold === undefined) {
    throw requiredOptionError('core', 'similarityThreshold', `type "${valid.type}" needs the least cosine similarity that counts as a hit, e.g. 0.8`);
  }
  return valid;
}

function suggest(name: string): string {
  // Catch LiteLLM's snake_case names, the most likely slip for users moving over.
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return camel !== name && Object.hasOwn(CHECKS, camel) ? `; did you mean ${camel}?` : '';
}
