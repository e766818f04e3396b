import type { CacheOptions, EmbedFunction, Embedder } from '@llmcache/core';
import { connectionFromCacheOptions, type RedisBackendOptions } from '@llmcache/redis';
import type { IndexShape } from './vector-index';

export interface RedisSemanticBackendOptions extends RedisBackendOptions {
  /**
   * Names the index: processes that share a Redis and an index name share the semantic entries. Keys of
   * the index are `{prefix:indexName}:…`. LiteLLM's `redis_semantic_cache_index_name`.
   * @default 'litellm_semantic_cache_index'
   */
  indexName?: string;
  /**
   * The embedding model by name: a model group of the Router that uses the cache, else a `provider/model`;
   * the Router supplies the embedder. Ignored when `embedder` is given.
   * @default 'text-embedding-ada-002'
   */
  embeddingModel?: string;
  /** The embedder: an object with `embed(texts)`, or a function `(texts) => vectors`. @default the Router's, for `embeddingModel` */
  embedder?: Embedder | EmbedFunction;
  /**
   * How the index hashes and searches (advanced). `tables` and `bits` are fixed by the process that
   * creates the index; `probes` and `warmUp` are this process's own.
   * @default { tables: 20, bits: 16, probes: 3, warmUp: 128 }
   */
  index?: Partial<IndexShape>;
}

/**
 * The options of `new Cache({ type: 'redis-semantic' | 'valkey-semantic', … })`: the Redis connection
 * options and environment of `@llmcache/redis`, `prefix`, `redisSemanticCacheIndexName`, and
 * `redisSemanticCacheEmbeddingModel` or `embedder`.
 */
export function redisSemanticOptionsFromCacheOptions(options: CacheOptions): RedisSemanticBackendOptions {
  return {
    ...connectionFromCacheOptions(options),
    prefix: options.prefix,
    indexName: options.redisSemanticCacheIndexName,
    embeddingModel: options.redisSemanticCacheEmbeddingModel,
    embedder: options.embedder,
  };
}
