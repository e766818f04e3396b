import { randomBytes } from 'node:crypto';
import type { DistributedLock } from '@llmcache/core';
import { connect, guarded, release, type Connection } from './connection';
import type { RedisConnectionOptions } from './options';

export interface RedisLockOptions extends RedisConnectionOptions {
  /**
   * First part of the lock keys: `prefix:lock:<key>`.
   * @default 'llmcache'
   */
  prefix?: string;
}

/** Deletes the lock only if it still holds our token: a holder that overran never frees a successor's lock. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Cross-process lock for single-flight on Redis: `SET key token NX PX ttl`, released by a Lua
 * compare-and-delete. A holder that dies or overruns loses the lock when `ttl` runs out.
 */
export class RedisLock implements DistributedLock {
  private readonly connection: Connection;
  private readonly prefix: string;

  constructor(options: RedisLockOptions = {}) {
    this.connection = connect(options);
    this.prefix = options.prefix ?? 'llmcache';
  }

  /** The Redis key guarding `key`. */
  lockKey(key: string): string {
    return `${this.prefix}:lock:${key}`;
  }

  async acquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const { client } = this.connection;
    const lockKey = this.lockKey(key);
    const token = randomBytes(16).toString('hex');
    const taken = await guarded(this.connection, () => client.set(lockKey, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'));
    if (taken !== 'OK') return undefined;
    return async () => {
      await guarded(this.connection, () => client.eval(RELEASE_SCRIPT, 1, lockKey, token));
    };
  }

  /** Closes the connection the lock opened; a client passed in is left open. */
  async close(): Promise<void> {
    await release(this.connection);
  }
}
