import type { CacheBackend, CacheOptions } from '@llmcache/core';
import { connectionFromCacheOptions } from '@llmcache/redis';
import { RedisSemanticBackend } from './backend';

export { RedisSemanticBackend } from './backend';
export type { RedisSemanticBackendOptions } from './backend';
export { RedisVectorIndex, DEFAULT_SHAPE } from './vector-index';
export type { IndexMatch, IndexShape } from './vector-index';

/**
 * Used by `new Cache({ type: 'redis-semantic' | 'valkey-semantic', … })`: the Redis connection options and
 * environment of `@llmcache/redis`, `prefix`, `redisSemanticCacheIndexName`, and
 * `redisSemanticCacheEmbeddingModel` or `embedder`.
 */
export function createCacheBackend(options: CacheOptions): CacheBackend {
  return new RedisSemanticBackend({
    ...connectionFromCacheOptions(options),
    prefix: options.prefix,
    indexName: options.redisSemanticCacheIndexName,
    embeddingModel: options.redisSemanticCacheEmbeddingModel,
    embedder: options.embedder,
  });
}
