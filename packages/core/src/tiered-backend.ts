import type { CacheBackend, MaybePromise } from './backend';
import { decodeEntry, remainingTtlMs } from './entry';
import { MemoryBackend, type MemoryBackendOptions } from './memory-backend';

export interface TieredBackendOptions {
  /** The fast tier, usually a `MemoryBackend`. */
  memory: CacheBackend;
  /** The shared tier: Redis, S3, disk, … */
  remote: CacheBackend;
}

/**
 * Memory in front of a remote store. Reads try memory first; a remote hit is copied into memory with
 * the remote entry's remaining lifetime, so the copy never outlives the original. Writes go to both.
 */
export class TieredBackend implements CacheBackend {
  readonly name: string;
  readonly memory: CacheBackend;
  readonly remote: CacheBackend;

  constructor(options: TieredBackendOptions) {
    this.memory = options.memory;
    this.remote = options.remote;
    this.name = `tiered(${this.memory.name}+${this.remote.name})`;
  }

  get(key: string): MaybePromise<string | undefined> {
    const near = this.memory.get(key);
    if (near instanceof Promise) return near.then((value) => value ?? this.getRemote(key));
    return near ?? this.getRemote(key);
  }

  private async getRemote(key: string): Promise<string | undefined> {
    const value = await this.remote.get(key);
    if (value !== undefined) await this.copyToMemory(key, value);
    return value;
  }

  private async copyToMemory(key: string, value: string): Promise<void> {
    let ttlMs: number | null;
    try {
      ttlMs = remainingTtlMs(decodeEntry(value), Date.now());
    } catch {
      return; // a corrupt remote entry is reported by Cache; never spread it
    }
    if (ttlMs === null || ttlMs > 0) await this.memory.set(key, value, ttlMs);
  }

  /** Stored when the remote tier stores it; the memory tier may decline a large entry. */
  async set(key: string, value: string, ttlMs: number | null): Promise<boolean> {
    const [, remote] = await Promise.all([this.memory.set(key, value, ttlMs), this.remote.set(key, value, ttlMs)]);
    return remote !== false;
  }

  async delete(key: string): Promise<void> {
    await Promise.all([this.memory.delete(key), this.remote.delete(key)]);
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    // eslint-disable-next-line @typescript-eslint/await-thenable -- get returns MaybePromise: Promise.all takes plain values too (typescript-eslint#11694)
    const near = await (this.memory.getMany ? this.memory.getMany(keys) : Promise.all(keys.map((k) => this.memory.get(k))));
    const missing = keys.filter((_, i) => near[i] === undefined);
    if (missing.length === 0) return near;
    // eslint-disable-next-line @typescript-eslint/await-thenable -- get returns MaybePromise: Promise.all takes plain values too (typescript-eslint#11694)
    const far = await (this.remote.getMany ? this.remote.getMany(missing) : Promise.all(missing.map((k) => this.remote.get(k))));
    // eslint-disable-next-line @typescript-eslint/await-thenable -- a copy is made only for a remote hit: the others are undefined, which Promise.all takes (typescript-eslint#11694)
    await Promise.all(missing.map((k, i) => (far[i] === undefined ? undefined : this.copyToMemory(k, far[i]))));
    let next = 0;
    return near.map((value) => value ?? far[next++]);
  }

  /**
   * Clears the remote tier, and this process's memory tier before and after it (a read racing the clear
   * may copy an entry back meanwhile). Memory tiers of other processes keep their copies until they
   * expire: this class has no way to tell them (Redis's `CoherentTieredBackend` has).
   */
  async clear(namespace?: string): Promise<void> {
    if (!this.remote.clear) throw new Error(`${this.remote.name} cannot clear: it has no clear() method`);
    await this.memory.clear?.(namespace);
    await this.remote.clear(namespace);
    await this.memory.clear?.(namespace);
  }

  /** The remote tier's health: the memory tier always answers. */
  ping(): MaybePromise<boolean> {
    return this.remote.ping ? this.remote.ping() : true;
  }

  async close(): Promise<void> {
    await Promise.all([this.memory.close?.(), this.remote.close?.()]);
  }
}

/**
 * What a backend package's `createCacheBackend` returns for a remote store: the store behind a bounded
 * memory tier (`maxSizeInMemory`, `maxBytesInMemory`, `maxSizePerItem`), or the store alone with
 * `memoryTier: false`.
 */
export function withMemoryTier(remote: CacheBackend, options: MemoryBackendOptions & { memoryTier?: boolean | undefined }): CacheBackend {
  if (options.memoryTier === false) return remote;
  const { maxSizeInMemory, maxBytesInMemory, maxSizePerItem } = options;
  return new TieredBackend({ remote, memory: new MemoryBackend({ maxSizeInMemory, maxBytesInMemory, maxSizePerItem }) });
}
