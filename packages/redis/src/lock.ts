import { randomBytes } from 'node:crypto';
import type { DistributedLock, LockRelease } from '@llmcache/core';
import { connect, guarded, release, type Connection } from './connection';
import type { RedisConnectionOptions } from './options';

export interface RedisLockOptions extends RedisConnectionOptions {
  /**
   * First part of the lock keys: `prefix#lock:<key>`, outside the `prefix:` space of the entries.
   * @default 'llmcache'
   */
  prefix?: string;
}

/**
 * What a lock key holds after its holder left without a value, for `NO_VALUE_MS`: waiters stop waiting
 * and compute at once. Tokens are hex, so no token is ever this.
 */
const NO_VALUE = 'no-value';

/** How long the "no value coming" mark lasts: longer than a waiter's longest pause between polls (250 ms). */
export const NO_VALUE_MS = 2000;

/** `SET NX PX`, except that a "no value coming" mark answers 2 instead of being taken. */
const ACQUIRE_SCRIPT = `local held = redis.call('GET', KEYS[1])
if not held then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if held == ARGV[3] then return 2 end
return 0`;

/** Deletes the lock only if it still holds our token: a holder that overran never frees a successor's lock. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Pushes our lock's expiry, only if it still holds our token. */
const EXTEND_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/** Replaces our lock by the "no value coming" mark, only if it still holds our token. */
const RELEASE_EMPTY_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else return 0 end`;

/**
 * Cross-process lock for single-flight on Redis: a key set if absent with a random token and a lifetime,
 * released by a Lua compare-and-delete. A holder that dies or overruns loses the lock when `ttl` runs
 * out. A holder that stores no value leaves a short mark instead, so that its waiters go at once.
 */
export class RedisLock implements DistributedLock {
  private readonly connection: Connection;
  private readonly prefix: string;
  /** Taken for a short lease that its holder extends: a holder that died frees it within seconds. */
  readonly leases = true;

  constructor(options: RedisLockOptions = {}) {
    this.connection = connect(options);
    this.prefix = options.prefix ?? 'llmcache';
  }

  /**
   * The Redis key guarding `key`. Entry keys are `prefix:` and anything; `#` in place of that `:` keeps
   * every lock out of their space, whatever a namespace or key is called.
   */
  lockKey(key: string): string {
    return `${this.prefix}#lock:${key}`;
  }

  async acquire(key: string, ttlMs: number): Promise<LockRelease | undefined | 'no-value'> {
    const { client } = this.connection;
    const lockKey = this.lockKey(key);
    const token = randomBytes(16).toString('hex');
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const taken = await guarded(this.connection, () => client.eval(ACQUIRE_SCRIPT, 1, lockKey, token, ttl, NO_VALUE));
    if (taken === 2) return NO_VALUE;
    if (taken !== 1) return undefined;
    const free: LockRelease = async (outcome) => {
      await guarded(this.connection, () =>
        outcome?.stored === false
          ? client.eval(RELEASE_EMPTY_SCRIPT, 1, lockKey, token, NO_VALUE, NO_VALUE_MS)
          : client.eval(RELEASE_SCRIPT, 1, lockKey, token),
      );
    };
    free.extend = async (ms: number) => (await guarded(this.connection, () => client.eval(EXTEND_SCRIPT, 1, lockKey, token, Math.max(1, Math.ceil(ms))))) === 1;
    return free;
  }

  /** Closes the connection the lock opened; a client passed in is left open. */
  async close(): Promise<void> {
    await release(this.connection);
  }
}
