import type { CacheOptions } from '@llmcache/core';
import { QdrantSemanticBackend } from './backend';
import { qdrantOptionsFromCacheOptions } from './options';

export { QdrantSemanticBackend } from './backend';
export { QdrantRequestError, QdrantVectorSizeError } from './errors';
export type { QdrantQuantization, QdrantSemanticBackendOptions } from './options';

/**
 * Used by `new Cache({ type: 'qdrant-semantic', … })`. No memory tier goes in front: a semantic lookup
 * must reach the collection, and `Cache` tries the exact key (one read by id) before embedding anything.
 */
export function createCacheBackend(options: CacheOptions): QdrantSemanticBackend {
  return new QdrantSemanticBackend(qdrantOptionsFromCacheOptions(options));
}
