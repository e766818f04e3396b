import type { CacheBackend } from './backend';
import { registeredCacheBackend } from './backend-registry';
import { CacheConfigError } from './errors';
import { MemoryBackend } from './memory-backend';
import { CACHE_TYPES, isExternalCacheType, type CacheOptions, type CacheType, type ExternalCacheOptions } from './options';
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

/** Builds the backend for `options.type`: built-in, registered, or loaded from its package; a missing package is a `CacheConfigError` saying what to install. */
export function createBackendForType(options: CacheOptions | ExternalCacheOptions): CacheBackend {
  const type = options.type ?? 'local';
  if (type === 'local') return new MemoryBackend(options);
  if (isExternalCacheType(type)) {
    const registered = registeredCacheBackend(type);
    if (registered) return registered(options as ExternalCacheOptions);
    return fromPackage(type, type, options);
  }
  // Exported, so it may get a type `new Cache()` never checked: own names only, not Object's members.
  if (!Object.hasOwn(BACKEND_PACKAGES, type)) {
    throw new CacheConfigError('core', 'type', `must be one of ${CACHE_TYPES.join(', ')}, got ${describe(type)}`);
  }
  return fromPackage(type, BACKEND_PACKAGES[type], options);
}

function fromPackage(type: string, pkg: string, options: CacheOptions | ExternalCacheOptions): CacheBackend {
  const loaded = load(type, pkg, isExternalCacheType(type));
  if (typeof loaded.createCacheBackend !== 'function') {
    throw new CacheConfigError('core', 'type', `${pkg} does not export createCacheBackend; are @llmcache/core and ${pkg} of matching versions?`);
  }
  return loaded.createCacheBackend(options as CacheOptions);
}

function load(type: string, pkg: string, external: boolean): Partial<BackendPackage> {
  try {
    // Synchronous on purpose: `new Cache()` is synchronous and a missing package must fail right there.
    // The build is CommonJS (the ESM entry wraps it), so this shares core with the backend package.
    return require(pkg) as Partial<BackendPackage>;
  } catch (err) {
    if (!isMissing(err, pkg)) throw err;
    if (external) {
      // An application's own dependency can be out of core's sight (pnpm's strict layout, a linked
      // core): look from the application's folder as well.
      try {
        return require(require.resolve(pkg, { paths: [process.cwd()] })) as Partial<BackendPackage>;
      } catch (again) {
        if (!isMissing(again, pkg)) throw again;
      }
    }
    throw new CacheConfigError('core', 'type', `type "${type}" needs the package ${pkg}: npm install ${pkg}`, { cause: err });
  }
}

/** Whether `err` says that `pkg` itself is not installed (not that something it requires is missing). */
function isMissing(err: unknown, pkg: string): boolean {
  return (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(pkg);
}
