import type { CacheBackend, CacheOptions } from '@llmcache/core';
import { RedisSemanticBackend } from './backend';
import { redisSemanticOptionsFromCacheOptions } from './options';

export { RedisSemanticBackend } from './backend';
export type { RedisSemanticBackendOptions } from './options';
export { RedisVectorIndex, DEFAULT_SHAPE } from './vector-index';
export { seededGaussian } from './lsh';
export type { IndexMatch, IndexShape } from './vector-index';

/** Used by `new Cache({ type: 'redis-semantic' | 'valkey-semantic', … })`; its options: `redisSemanticOptionsFromCacheOptions`. */
export function createCacheBackend(options: CacheOptions): CacheBackend {
  return new RedisSemanticBackend(redisSemanticOptionsFromCacheOptions(options));
}
