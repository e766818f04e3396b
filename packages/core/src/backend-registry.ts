import type { CacheBackend } from './backend';
import { CacheConfigError } from './errors';
import type { CacheOptions } from './options';
import { describe } from './validate';

/**
 * A backend type from outside this repository, named like a scoped npm package
 * (`@acme/llmcache-dynamo`). The scope keeps such names apart from the built-in types, so a misspelt
 * built-in (`reddis`) is still an error rather than a package to look for.
 */
export type ExternalCacheType = `@${string}/${string}`;

/**
 * Options of `new Cache({ type })` for an external type: the shared `Cache` options, which core checks
 * as always, plus whatever the backend defines, which core passes to its factory unchecked (the
 * backend validates its own, as the built-in packages do).
 */
export interface ExternalCacheOptions extends Omit<CacheOptions, 'type' | 'backend'> {
  /** The package that exports `createCacheBackend(options)`, or a name given to `registerCacheBackend`. */
  type: ExternalCacheType;
  /** The backend's own options. */
  [option: string]: unknown;
}

/** Makes the backend for `new Cache({ type, ...options })`; receives every option given to `Cache`. */
export type CacheBackendFactory = (options: ExternalCacheOptions) => CacheBackend;

// One registry per process rather than per copy of core, so that a backend registered through one
// copy is found by a Cache from another (npm can install two; see cache-brand.ts).
const REGISTRY = Symbol.for('llmcache.cacheBackendFactories');
type Registry = Map<string, CacheBackendFactory>;
const registry: Registry = ((globalThis as { [REGISTRY]?: Registry })[REGISTRY] ??= new Map<string, CacheBackendFactory>());

const SCOPED_NAME = /^@[a-z0-9][a-z0-9._~-]*\/[a-z0-9][a-z0-9._~-]*$/;

/** Whether `type` names an external backend (a scoped package name), as opposed to a built-in type. */
export function isExternalCacheType(type: unknown): type is ExternalCacheType {
  return typeof type === 'string' && SCOPED_NAME.test(type);
}

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
