import type { CacheOptions } from '@llmcache/core';

export interface DiskBackendOptions {
  /**
   * Folder holding the cache database (`cache.db`); created when missing. Several processes may share it.
   * @default '.llmcache'
   */
  dir?: string;
  /**
   * Size bound in bytes of the stored entries; a write that goes past it removes the oldest entries first.
   * @default 1073741824 (1 GiB)
   */
  maxBytes?: number;
  /**
   * How many writes between two sweeps of expired entries.
   * @default 100
   */
  sweepEvery?: number;
}

/** The options of `new Cache({ type: 'disk', … })`, by this backend's names. */
export function diskOptionsFromCacheOptions(options: CacheOptions): DiskBackendOptions {
  return { dir: options.diskCacheDir, maxBytes: options.diskCacheMaxBytes };
}
