import { LRUCache } from 'lru-cache';
import type { BackendEntry, CacheBackend } from './backend';
import { positiveInteger, positiveNumber } from './validate';

export interface MemoryBackendOptions {
  /**
   * Most entries kept; the least recently used go first. LiteLLM's `max_size_in_memory`.
   * @default 200
   */
  maxSizeInMemory?: number;
  /**
   * Most total bytes (UTF-8 length of the stored entries) kept.
   * @default 67108864 (64 MiB)
   */
  maxBytesInMemory?: number;
  /**
   * Largest entry stored, in KB; a larger one is silently not stored. LiteLLM's `max_size_per_item`.
   * @default 1024
   */
  maxSizePerItem?: number;
}

/** In-process store on lru-cache, bounded by entry count and total bytes, with per-entry TTL. */
export class MemoryBackend implements CacheBackend {
  readonly name = 'memory';
  private readonly lru: LRUCache<string, string>;
  private readonly maxItemBytes: number;

  constructor(options: MemoryBackendOptions = {}) {
    const max = positiveInteger('core', 'maxSizeInMemory', options.maxSizeInMemory ?? 200);
    const maxSize = positiveInteger('core', 'maxBytesInMemory', options.maxBytesInMemory ?? 64 * 1024 * 1024);
    this.maxItemBytes = Math.min(maxSize, positiveNumber('core', 'maxSizePerItem', options.maxSizePerItem ?? 1024) * 1024);
    this.lru = new LRUCache<string, string>({
      max,
      maxSize,
      // Values only: the per-item limit is about what is stored, as LiteLLM's max_size_per_item.
      sizeCalculation: (value) => Buffer.byteLength(value) || 1,
    });
  }

  get(key: string): string | undefined {
    return this.lru.get(key);
  }

  set(key: string, value: string, ttlMs: number | null): boolean {
    // Too large to keep: declined, and no older value may stay behind under the key.
    if (Buffer.byteLength(value) > this.maxItemBytes) {
      this.lru.delete(key);
      return false;
    }
    this.lru.set(key, value, ttlMs === null ? {} : { ttl: Math.max(1, Math.ceil(ttlMs)) });
    return true;
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  getMany(keys: readonly string[]): (string | undefined)[] {
    return keys.map((key) => this.lru.get(key));
  }

  setMany(entries: readonly BackendEntry[]): boolean {
    let all = true;
    for (const { key, value, ttlMs } of entries) all = this.set(key, value, ttlMs) && all;
    return all;
  }

  /** Entries held now (expired ones may linger until touched). */
  get size(): number {
    return this.lru.size;
  }

  close(): void {
    this.lru.clear();
  }
}
