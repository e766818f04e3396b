import type { CacheOptions } from '@llmcache/core';
import { DiskBackend } from './disk-backend';
import { diskOptionsFromCacheOptions } from './options';

export { DiskBackend } from './disk-backend';
export type { DiskBackendOptions } from './options';

/** Used by `new Cache({ type: 'disk', diskCacheDir })`. */
export function createCacheBackend(options: CacheOptions): DiskBackend {
  return new DiskBackend(diskOptionsFromCacheOptions(options));
}
