import { isKeyInNamespace, MemoryBackend, TieredBackend, type BackendEntry, type CacheBackend, type MemoryBackendOptions } from '@llmcache/core';
import { decodeEntry, remainingTtlMs } from '@llmcache/core/internal';
import type { RedisBackend } from './backend';
import { InvalidationBus } from './invalidation';

/** A memory tier that can be emptied at once (a fresh LRU) when it can no longer be trusted. */
class ResettableMemory implements CacheBackend {
  readonly name = 'memory';
  private inner: MemoryBackend;

  constructor(private readonly options: MemoryBackendOptions) {
    this.inner = new MemoryBackend(options);
  }

  get(key: string) {
    return this.inner.get(key);
  }
  set(key: string, value: string, ttlMs: number | null) {
    return this.inner.set(key, value, ttlMs);
  }
  delete(key: string) {
    this.inner.delete(key);
  }
  getMany(keys: readonly string[]) {
    return this.inner.getMany(keys);
  }
  setMany(entries: readonly BackendEntry[]) {
    return this.inner.setMany(entries);
  }
  clear(namespace?: string) {
    this.inner.clear(namespace);
  }
  /** Entries held now. */
  get size() {
    return this.inner.size;
  }
  reset(): void {
    this.inner.close();
    this.inner = new MemoryBackend(this.options);
  }
  close(): void {
    this.inner.close();
  }
}

/** A remote read or write under way; a change to its key meanwhile makes its value unfit for memory. */
interface PendingRead {
  stale: boolean;
}

export interface CoherentTieredBackendOptions {
  remote: RedisBackend;
  /** Bounds of the memory tier. */
  memory?: MemoryBackendOptions;
  /**
   * How often the invalidation subscriber's connection is checked with a PING, in ms; an answer slower
   * than `remote`'s command timeout counts as a dead connection (see `InvalidationBus`).
   * @default 1000
   */
  keepaliveMs?: number;
}

/**
 * Core's memory-in-front-of-remote tier, kept coherent across instances: every write and delete is
 * announced on an invalidation channel, and each instance drops its copy of the announced keys. While
 * the channel is down the memory tier is bypassed, and it starts empty when the channel returns, since
 * announcements may have been missed.
 */
export class CoherentTieredBackend extends TieredBackend {
  declare readonly memory: ResettableMemory;
  declare readonly remote: RedisBackend;
  readonly bus: InvalidationBus;
  private readonly pending = new Map<string, Set<PendingRead>>();

  constructor(options: CoherentTieredBackendOptions) {
    super({ memory: new ResettableMemory(options.memory ?? {}), remote: options.remote });
    this.bus = new InvalidationBus(options.remote.client, options.remote.prefix, (publish) => options.remote.command(publish), {
      keepaliveMs: options.keepaliveMs,
      keepaliveTimeoutMs: options.remote.readTimeoutMs,
    });
    this.bus.on('invalidate', (keys) => {
      for (const key of keys) this.forget(key);
    });
    this.bus.on('clear', (namespace) => this.forgetNamespace(namespace));
    this.bus.on('reset', () => {
      this.memory.reset();
      for (const reads of this.pending.values()) for (const read of reads) read.stale = true;
    });
  }

  get lock() {
    return this.remote.lock;
  }

  /** A read is a memory lookup or a Redis read, so it is bounded as the Redis one is. */
  get readTimeoutMs() {
    return this.remote.readTimeoutMs;
  }

  override get(key: string): Promise<string | undefined> | string | undefined {
    if (this.bus.live) {
      const near = this.memory.get(key);
      if (near !== undefined) return near;
    }
    return this.fetch([key]).then((values) => values[0]);
  }

  override async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    const near = this.bus.live ? this.memory.getMany(keys) : keys.map(() => undefined);
    const missing = keys.filter((_, i) => near[i] === undefined);
    if (missing.length === 0) return near;
    const far = await this.fetch(missing);
    let next = 0;
    return near.map((value) => value ?? far[next++]);
  }

  override async set(key: string, value: string, ttlMs: number | null): Promise<boolean> {
    await this.setMany([{ key, value, ttlMs }]);
    return true;
  }

  async setMany(entries: readonly BackendEntry[]): Promise<boolean> {
    // Tracked like a read: a change announced by anyone while this write is under way means another
    // value may be newer than ours, so ours is not kept in memory.
    const write: PendingRead = { stale: false };
    for (const { key } of entries) {
      this.forget(key);
      this.track(key, write);
    }
    try {
      if (entries.length === 1) await this.remote.set(entries[0]!.key, entries[0]!.value, entries[0]!.ttlMs);
      else await this.remote.setMany(entries);
      // Again now that Redis has it: a read that began before the write landed may bring back the old value.
      for (const { key } of entries) this.forget(key, write);
      await this.bus.publish(entries.map((e) => e.key));
    } finally {
      for (const { key } of entries) this.untrack(key, write);
    }
    if (!write.stale && this.bus.live) for (const e of entries) this.memory.set(e.key, e.value, e.ttlMs);
    return true;
  }

  override async delete(key: string): Promise<void> {
    this.forget(key);
    await this.remote.delete(key);
    this.forget(key);
    await this.bus.publish([key]);
  }

  /**
   * Clears Redis, this memory tier (before and after, for reads racing the clear) and, through the
   * invalidation channel, every other instance's memory tier.
   */
  override async clear(namespace?: string): Promise<void> {
    this.forgetNamespace(namespace);
    await this.remote.clear(namespace);
    this.forgetNamespace(namespace);
    await this.bus.publishClear(namespace);
  }

  override async close(): Promise<void> {
    await this.bus.close();
    await super.close();
  }

  /** Reads `keys` from Redis and copies hits into memory with their remaining lifetime, unless changed meanwhile. */
  private async fetch(keys: readonly string[]): Promise<(string | undefined)[]> {
    const read: PendingRead = { stale: false };
    for (const key of keys) this.track(key, read);
    try {
      const values = keys.length === 1 ? [await this.remote.get(keys[0]!)] : await this.remote.getMany(keys);
      if (!read.stale && this.bus.live) values.forEach((value, i) => value !== undefined && this.remember(keys[i]!, value));
      return values;
    } finally {
      for (const key of keys) this.untrack(key, read);
    }
  }

  private remember(key: string, value: string): void {
    let ttlMs: number | null;
    try {
      ttlMs = remainingTtlMs(decodeEntry(value), Date.now());
    } catch {
      return; // a corrupt entry is reported by Cache; never spread it
    }
    if (ttlMs === null || ttlMs > 0) this.memory.set(key, value, ttlMs);
  }

  /** Drops the memory copy of `key` and spoils reads (and writes) of it under way, but `except`. */
  private forget(key: string, except?: PendingRead): void {
    this.memory.delete(key);
    const reads = this.pending.get(key);
    if (reads) for (const read of reads) if (read !== except) read.stale = true;
  }

  /** `forget` for every key of exactly `namespace` (every key when undefined). */
  private forgetNamespace(namespace: string | undefined): void {
    this.memory.clear(namespace);
    for (const [key, reads] of this.pending) if (isKeyInNamespace(key, namespace)) for (const read of reads) read.stale = true;
  }

  private track(key: string, read: PendingRead): void {
    const reads = this.pending.get(key);
    if (reads) reads.add(read);
    else this.pending.set(key, new Set([read]));
  }

  private untrack(key: string, read: PendingRead): void {
    const reads = this.pending.get(key);
    if (!reads) return;
    reads.delete(read);
    if (reads.size === 0) this.pending.delete(key);
  }
}
