import type { CacheBackend } from './backend';
import { CacheConfigError } from './errors';
import { isExternalCacheType, type ExternalCacheOptions, type ExternalCacheType } from './options';
import { describe } from './validate';

/** Makes the backend for `new Cache({ type, ...options })`; receives every option given to `Cache`. */
export type CacheBackendFactory = (options: ExternalCacheOptions) => CacheBackend;

// One registry per process rather than per copy of core, so that a backend registered through one
// copy is found by a Cache from another (npm can install two; see CACHE_BRAND in cache.ts).
const REGISTRY = Symbol.for('llmcache.cacheBackendFactories');
type Registry = Map<string, CacheBackendFactory>;
const registry: Registry = ((globalThis as { [REGISTRY]?: Registry })[REGISTRY] ??= new Map<string, CacheBackendFactory>());

/**
 * Makes `new Cache({ type })` use `factory` for `type` without loading a package of that name: for a
 * backend bundled into the application, or one whose package the bundler cannot `require` by name.
 * Registering a type again replaces its factory.
 */
export function registerCacheBackend(type: ExternalCacheType, factory: CacheBackendFactory): void {
  if (!isExternalCacheType(type)) {
    throw new CacheConfigError('core', 'type', `a registered backend type is named like a scoped npm package (@scope/name), got ${describe(type)}`);
  }
  if (typeof factory !== 'function') throw new CacheConfigError('core', 'type', `the factory for "${type}" must be a function, got ${describe(factory)}`);
  registry.set(type, factory);
}

/** The factory registered for `type`, if any. */
export function registeredCacheBackend(type: string): CacheBackendFactory | undefined {
  return registry.get(type);
}
