import type { Cache } from './cache';

/**
 * Marks every `Cache`. A registry symbol (`Symbol.for`) is the same in every copy of core, so a cache
 * made by one copy is recognised by another (npm can install two when versions skew); `instanceof`
 * would see two unrelated classes.
 */
export const CACHE_BRAND: unique symbol = Symbol.for('llmcache.cache') as never;

/** Whether `value` is a `Cache` from any copy of `@llmcache/core`. */
export function isCache(value: unknown): value is Cache {
  return typeof value === 'object' && value !== null && (value as { [CACHE_BRAND]?: unknown })[CACHE_BRAND] === true;
}
