import { Cache, isCache, type CacheOptions } from '@llmcache/core';

let current: Cache | undefined;

/** Sets the cache used by top-level calls and by routers built without `cache` (LiteLLM's `litellm.cache = Cache()`). */
export function setCache(cache: Cache | undefined): void {
  current = cache;
}

/** The cache `setCache()` holds, if any. */
export function getCache(): Cache | undefined {
  return current;
}

/** Turns the global cache on: the given cache, or a new one from options (in-memory by default). */
export function enableCache(cacheOrOptions?: Cache | CacheOptions): Cache {
  current = isCache(cacheOrOptions) ? cacheOrOptions : new Cache(cacheOrOptions);
  return current;
}

/** Turns the global cache off (LiteLLM's `litellm.cache = None`). */
export function disableCache(): void {
  current = undefined;
}
