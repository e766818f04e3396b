import type { CacheBackend } from './backend';
import { CacheConfigError } from './errors';
import { MemoryBackend } from './memory-backend';
import { CACHE_TYPES, type CacheOptions, type CacheType } from './options';
import { describe } from './validate';

/** The package that implements each remote type; it exports `createCacheBackend(options)`. */
export const BACKEND_PACKAGES: Readonly<Record<Exclude<CacheType, 'local'>, string>> = {
  redis: '@llmcache/redis',
  'redis-semantic': '@llmcache/redis-semantic',
  'valkey-semantic': '@llmcache/redis-semantic',
  'qdrant-semantic': '@llmcache/qdrant',
  s3: '@llmcache/s3',
  gcs: '@llmcache/gcs',
  'azure-blob': '@llmcache/azure-blob',
  azure_blob: '@llmcache/azure-blob',
  disk: '@llmcache/disk',
};

/** What a backend package exports for `new Cache({ type })`. */
export interface BackendPackage {
  createCacheBackend(options: CacheOptions): CacheBackend;
}

/** Builds the backend for `options.type`, loading its package; a missing package is a `CacheConfigError` saying what to install. */
export function createBackendForType(options: CacheOptions): CacheBackend {
  const type = options.type ?? 'local';
  if (type === 'local') return new MemoryBackend(options);
  // Exported, so it may get a type `new Cache()` never checked: own names only, not Object's members.
  if (!Object.hasOwn(BACKEND_PACKAGES, type)) {
    throw new CacheConfigError('core', 'type', `must be one of ${CACHE_TYPES.join(', ')}, got ${describe(type)}`);
  }
  const pkg = BACKEND_PACKAGES[type];
  let loaded: Partial<BackendPackage>;
  try {
    // Synchronous on purpose: `new Cache()` is synchronous and a missing package must fail right there.
    // The build is CommonJS (the ESM entry wraps it), so this shares core with the backend package.
    loaded = require(pkg) as Partial<BackendPackage>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(pkg)) {
      throw new CacheConfigError('core', 'type', `type "${type}" needs the package ${pkg}: npm install ${pkg}`, { cause: err });
    }
    throw err;
  }
  if (typeof loaded.createCacheBackend !== 'function') {
    throw new CacheConfigError('core', 'type', `${pkg} does not export createCacheBackend; are @llmcache/core and ${pkg} of matching versions?`);
  }
  return loaded.createCacheBackend(options);
}
