import type { CacheBackend, CacheOptions } from '@llmcache/core';
import { RedisBackend } from './backend';
import { CoherentTieredBackend } from './coherent-tier';
import { connectionFromCacheOptions } from './options';

export { RedisBackend } from './backend';
export type { RedisBackendOptions } from './backend';
export { CoherentTieredBackend } from './coherent-tier';
export type { CoherentTieredBackendOptions } from './coherent-tier';
export { InvalidationBus } from './invalidation';
export type { InvalidationBusOptions, InvalidationEvents } from './invalidation';
export { RedisLock } from './lock';
export type { RedisLockOptions } from './lock';
export { RedisRouterState } from './router-state';
export type { RedisRouterStateEvents, RedisRouterStateOptions } from './router-state';
export { connectionFromCacheOptions, connectionFromEnv, parseNodes } from './options';
export type { RedisClient, RedisConnectionOptions } from './options';

/**
 * Used by `new Cache({ type: 'redis', … })`: Redis with a coherent memory tier in front (unless
 * `memoryTier: false`), and a Redis lock for cross-process single-flight.
 */
export function createCacheBackend(options: CacheOptions): CacheBackend {
  const remote = new RedisBackend({ ...connectionFromCacheOptions(options), prefix: options.prefix });
  if (options.memoryTier === false) return remote;
  const { maxSizeInMemory, maxBytesInMemory, maxSizePerItem } = options;
  return new CoherentTieredBackend({ remote, memory: { maxSizeInMemory, maxBytesInMemory, maxSizePerItem } });
}
