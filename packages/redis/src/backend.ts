import type { BackendEntry, CacheBackend } from '@llmcache/core';
import { CacheConfigError } from '@llmcache/core';
import { wellFormed } from '@llmcache/core/internal';
import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import { connect, guarded, hasConnected, release, whenReady, type Connection } from './connection';
import { RedisLock } from './lock';
import type { IoRedisClient, RedisClient, RedisConnectionOptions } from './options';

export interface RedisBackendOptions extends RedisConnectionOptions {
  /**
   * First part of every key: entries live at `prefix:namespace:hash` (or `prefix:hash`).
   * @default 'llmcache'
   */
  prefix?: string;
}

/** Reads waiting for the next batch. */
interface PendingBatch {
  keys: string[];
  waiters: { resolve(value: string | undefined): void; reject(err: unknown): void }[];
}

/** Most keys per `MGET`: a bounded command and reply, and Redis answers one while the next is gathered. */
const MAX_BATCH = 128;

/** Keys per `SCAN` step and per `UNLINK` when clearing. */
const SCAN_COUNT = 500;

/**
 * Entries in Redis (standalone, cluster or sentinel), expired by Redis itself (`SET … PX`). Batches
 * go in one round trip per hash slot; a down Redis fails each call at once instead of queueing it.
 */
export class RedisBackend implements CacheBackend {
  readonly name = 'redis';
  readonly prefix: string;
  /** `SET NX PX` lock on the same Redis: `Cache` uses it for cross-process single-flight. */
  readonly lock: RedisLock;
  private readonly connection: Connection;
  private readonly redis: IoRedisClient;
  private readonly isCluster: boolean;
  private reading = 0;
  private batch: PendingBatch | undefined;

  constructor(options: RedisBackendOptions = {}) {
    const prefix = options.prefix ?? 'llmcache';
    if (typeof prefix !== 'string' || prefix === '') throw new CacheConfigError('redis', 'prefix', 'must be a non-empty string');
    // Redis keys are bytes: a lone surrogate would become U+FFFD and merge two prefixes.
    wellFormed('redis', 'prefix', prefix);
    this.prefix = prefix;
    this.connection = connect(options);
    this.redis = this.connection.client;
    this.isCluster = this.redis instanceof Cluster;
    this.lock = new RedisLock({ client: this.redis, prefix, commandTimeoutMs: this.connection.timeoutMs });
  }

  /** The ioredis `Redis` or `Cluster` in use (typed by shape: cast it to ioredis's class to send commands of your own). */
  get client(): RedisClient {
    return this.redis;
  }

  /** Whether we opened the connection (and close it); a client passed in is never closed. */
  get ownsClient(): boolean {
    return this.connection.owned;
  }

  /**
   * The longest a read takes: the command timeout. With a client passed in that times its own commands,
   * a read may first wait as long again for the first connection (see `guarded`), and a cluster's
   * redirections and retries may take longer still: there `Cache` keeps its own timer.
   */
  get readTimeoutMs(): number | undefined {
    const { selfTimed, timeoutMs } = this.connection;
    // Our own timer spans the wait for a connection and the answer.
    if (!selfTimed) return timeoutMs;
    if (this.isCluster) return undefined;
    return hasConnected(this.redis) ? timeoutMs : 2 * timeoutMs;
  }

  /** The Redis key of a cache key. */
  redisKey(key: string): string {
    return `${this.prefix}:${key}`;
  }

  /**
   * A lone read is a plain `GET`, sent at once. Reads that arrive while others are under way are
   * gathered until the next tick, or until 128 of them, and sent as one `MGET` (per slot on a cluster):
   * under load that is one command and one reply instead of a hundred, and alone it costs no wait.
   */
  get(key: string): Promise<string | undefined> {
    if (this.reading === 0 && this.batch === undefined) {
      // Plain reactions rather than async wrappers: at concurrency 1 each promise hop is latency.
      this.reading++;
      return this.run(() => this.redis.get(this.redisKey(key))).then(
        (value) => {
          this.reading--;
          return value ?? undefined;
        },
        (err: unknown) => {
          this.reading--;
          throw err;
        },
      );
    }
    let batch = this.batch;
    if (!batch) {
      const started: PendingBatch = { keys: [], waiters: [] };
      batch = this.batch = started;
      process.nextTick(() => this.flush(started));
    }
    const { keys, waiters } = batch;
    const read = new Promise<string | undefined>((resolve, reject) => {
      keys.push(key);
      waiters.push({ resolve, reject });
    });
    // A full batch goes at once: Redis answers it while the next one is gathered.
    if (keys.length === MAX_BATCH) this.flush(batch);
    return read;
  }

  private flush(batch: PendingBatch): void {
    if (this.batch !== batch) return; // sent already, when it filled up
    this.batch = undefined;
    this.counted(this.getMany(batch.keys)).then(
      (values) => batch.waiters.forEach((w, i) => w.resolve(values[i])),
      (err: unknown) => batch.waiters.forEach((w) => w.reject(err)),
    );
  }

  private counted<T>(read: Promise<T>): Promise<T> {
    this.reading++;
    return read.finally(() => this.reading--);
  }

  set(key: string, value: string, ttlMs: number | null): Promise<void> {
    return this.run(async () => {
      if (ttlMs === null) await this.redis.set(this.redisKey(key), value);
      else await this.redis.set(this.redisKey(key), value, 'PX', Math.max(1, Math.ceil(ttlMs)));
    });
  }

  delete(key: string): Promise<void> {
    return this.run(async () => {
      await this.redis.unlink(this.redisKey(key));
    });
  }

  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return this.run(async () => {
      const out = new Array<string | undefined>(keys.length);
      // A cluster takes a multi-key command only within one slot: one MGET per slot, all sent at once.
      await Promise.all(
        this.bySlot(keys.map((key, index) => ({ key, index }))).map(async (group) => {
          const values = await this.redis.mget(group.map((g) => this.redisKey(g.key)));
          group.forEach((g, i) => (out[g.index] = values[i] ?? undefined));
        }),
      );
      return out;
    });
  }

  setMany(entries: readonly BackendEntry[]): Promise<void> {
    return this.run(async () => {
      await Promise.all(
        this.bySlot(entries).map(async (group) => {
          const pipeline = this.redis.pipeline();
          for (const e of group) {
            if (e.ttlMs === null) pipeline.set(this.redisKey(e.key), e.value);
            else pipeline.set(this.redisKey(e.key), e.value, 'PX', Math.max(1, Math.ceil(e.ttlMs)));
          }
          const results = await pipeline.exec();
          const failed = results?.find(([err]) => err);
          if (!results || failed) throw failed?.[0] ?? new Error('Redis pipeline was aborted');
        }),
      );
    });
  }

  /**
   * Deletes every entry of exactly `namespace` (every entry under the prefix when omitted) by `SCAN` +
   * `UNLINK`, on each master of a cluster. Returns how many keys were deleted. A namespace may hold `:`
   * and a hash never does, so `prefix:team:eu:hash` is in `team:eu`: `clear('team')` leaves it.
   */
  async clear(namespace?: string): Promise<number> {
    // A cluster lists its masters only once connected.
    await whenReady(this.redis, this.connection.timeoutMs);
    const base = namespace === undefined ? `${this.prefix}:` : `${this.prefix}:${namespace}:`;
    const pattern = `${escapeGlob(base)}*`;
    // The glob also finds longer namespaces (`team:eu:…` for `team`): they are left alone.
    const ours = namespace === undefined ? () => true : (key: string) => !key.includes(':', base.length);
    const nodes: Redis[] = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await this.run(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT));
        cursor = next;
        const keys = found.filter(ours);
        // Keys of one node may still span slots: unlink them slot by slot.
        for (const group of this.bySlot(
          keys.map((key) => ({ key })),
          (key) => key,
        ))
          deleted += await this.run(() => node.unlink(...group.map((g) => g.key)));
      } while (cursor !== '0');
    }
    return deleted;
  }

  async ping(): Promise<boolean> {
    return (await this.run(() => this.redis.ping())) === 'PONG';
  }

  /** Closes the connection we opened; a client passed in is left open. */
  async close(): Promise<void> {
    await release(this.connection);
  }

  /**
   * Runs commands of your own on `client` under the guards of the backend's: the first connection is
   * waited for (bounded), a down or stalled Redis fails at once, and a slow answer times out.
   */
  command<T>(op: (client: RedisClient) => Promise<T>): Promise<T> {
    return this.run(() => op(this.redis));
  }

  /** Runs `op` under the connection's guards (see `guarded`). */
  private run<T>(op: () => Promise<T>): Promise<T> {
    return guarded(this.connection, op);
  }

  /** Groups items by the hash slot of their Redis key (`toRedisKey(item.key)`); one group off a cluster. */
  private bySlot<T extends { key: string }>(items: readonly T[], toRedisKey = (key: string) => this.redisKey(key)): T[][] {
    if (!this.isCluster) return items.length === 0 ? [] : [items as T[]];
    const groups = new Map<number, T[]>();
    for (const item of items) {
      const slot = calculateSlot(toRedisKey(item.key));
      const group = groups.get(slot);
      if (group) group.push(item);
      else groups.set(slot, [item]);
    }
    return [...groups.values()];
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
