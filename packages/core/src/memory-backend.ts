import { LRUCache } from 'lru-cache';
import type { BackendEntry, CacheBackend } from './backend';
import { isKeyInNamespace } from './key-space';
import { positiveInteger, positiveNumber } from './validate';

export interface MemoryBackendOptions {
  /**
   * Most entries kept; the least recently used go first. LiteLLM's `max_size_in_memory`.
   * @default 200
   */
  maxSizeInMemory?: number;
  /**
   * Most total bytes kept: the UTF-8 length of every stored key and value. Keys count because they
   * carry the request's namespace, which can be large; an entry larger than this is not stored.
   * @default 67108864 (64 MiB)
   */
  maxBytesInMemory?: number;
  /**
   * Largest value stored, in KB; a larger one is silently not stored. LiteLLM's `max_size_per_item`.
   * @default 1024
   */
  maxSizePerItem?: number;
}

/** In-process store on lru-cache, bounded by entry count and total bytes, with per-entry TTL. */
export class MemoryBackend implements CacheBackend {
  readonly name = 'memory';
  private readonly lru: LRUCache<string, string>;
  private readonly maxItemBytes: number;
  private readonly maxBytes: number;

  constructor(options: MemoryBackendOptions = {}) {
    const max = positiveInteger('core', 'maxSizeInMemory', options.maxSizeInMemory ?? 200);
    const maxSize = positiveInteger('core', 'maxBytesInMemory', options.maxBytesInMemory ?? 64 * 1024 * 1024);
    this.maxBytes = maxSize;
    this.maxItemBytes = positiveNumber('core', 'maxSizePerItem', options.maxSizePerItem ?? 1024) * 1024;
    // Each entry's size (key and value bytes) is given by `set`.
    this.lru = new LRUCache<string, string>({ max, maxSize });
  }

  get(key: string): string | undefined {
    return this.lru.get(key);
  }

  set(key: string, value: string, ttlMs: number | null): boolean {
    // Too large to keep: declined, and no older value may stay behind under the key. The per-item
    // limit is about the value, as LiteLLM's max_size_per_item; the total bound counts the key too,
    // because a key holds memory and a request's namespace can make it as large as any value.
    const valueBytes = Buffer.byteLength(value);
    const size = Buffer.byteLength(key) + valueBytes || 1;
    if (valueBytes > this.maxItemBytes || size > this.maxBytes) {
      this.lru.delete(key);
      return false;
    }
    this.lru.set(key, value, ttlMs === null ? { size } : { size, ttl: Math.max(1, Math.ceil(ttlMs)) });
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

  /** Deletes the entries of exactly `namespace` (see `isKeyInNamespace`), or all of them. */
  clear(namespace?: string): void {
    if (namespace === undefined) return this.lru.clear();
    // Collected first: deleting while iterating would skip entries.
    const doomed: string[] = [];
    for (const key of this.lru.keys()) if (isKeyInNamespace(key, namespace)) doomed.push(key);
    for (const key of doomed) this.lru.delete(key);
  }

  /** Entries held now (expired ones may linger until touched). */
  get size(): number {
    return this.lru.size;
  }

  /** Bytes held now: keys and values, as bounded by `maxBytesInMemory`. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  close(): void {
    this.lru.clear();
  }
}
