import type { CacheOptions } from '@llmcache/core';
import { DiskBackend } from './disk-backend';

export { DiskBackend } from './disk-backend';
export type { DiskBackendOptions } from './disk-backend';

/** Used by `new Cache({ type: 'disk', diskCacheDir })`. */
export function createCacheBackend(options: CacheOptions): DiskBackend {
  return new DiskBackend({ dir: options.diskCacheDir, maxBytes: options.diskCacheMaxBytes });
}
