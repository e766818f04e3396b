import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import { MemoryRouterState, type MinuteUsage, type RouterState } from '@llmcache/core';
import type { ClientHealth } from './client-health';
import { connect, guarded, healthOfConnection, release, type Connection } from './connection';
import type { RedisConnectionOptions } from './options';

export interface RedisRouterStateOptions extends RedisConnectionOptions {
  /**
   * First part of the state keys. They share one hash tag (`{prefix:router}`), so that on a cluster the
   * scripts and batched reads below stay in one slot.
   * @default 'llmcache'
   */
  prefix?: string;
  /**
   * Longest wait for one Redis command, in ms; a slower answer is taken from this process's own state.
   * @default 500
   */
  commandTimeoutMs?: number;
}

export interface RedisRouterStateEvents {
  /** Redis failed or was too slow; the call used this process's own state. */
  error: (error: Error) => void;
  /**
   * The state became shared (Redis answers) or stopped being so (refused, `WRONGPASS`, `NOAUTH`, down, not
   * answering: routing then runs on this process's own state); `error` says why.
   */
  state: (event: { shared: boolean; error?: Error }) => void;
}

/** Keeps only failures inside the window, adds this one, and counts them: one atomic step. */
const RECORD_FAILURE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])`;

/** Extends a cooldown, never shortens it; Redis drops the key when it ends. */
const START_COOLDOWN = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;

/** Usage counters outlive their minute briefly, for readers whose clock is a little behind. */
const USAGE_TTL_MS = 120_000;

type Fallback = RouterState;

/**
 * Routing state shared by every router on one Redis: cooldowns are keys that expire with `PX`, failure
 * windows are sorted sets trimmed and counted by one script, and per-minute usage is counted with
 * `HINCRBY` plus an expiry in one `MULTI`. Every change is also kept in this process's own state, which
 * answers whenever Redis is down or slow, so routing never fails because Redis did.
 */
export class RedisRouterState extends EventEmitter<RedisRouterStateEvents> implements RouterState {
  private readonly connection: Connection;
  private readonly tag: string;
  private readonly local: Fallback;
  private readonly health: ClientHealth;
  private readonly unwatch: () => void;

  constructor(options: RedisRouterStateOptions = {}) {
    super();
    this.connection = connect({ ...options, commandTimeoutMs: options.commandTimeoutMs ?? 500 });
    this.tag = `{${options.prefix ?? 'llmcache'}:router}`;
    this.local = new MemoryRouterState();
    this.health = healthOfConnection(this.connection);
    this.unwatch = this.health.watch(({ available, error }) => this.emit('state', error ? { shared: available, error } : { shared: available }));
  }

  /** Whether the state is shared right now: Redis is connected and answering. Otherwise this process's own state answers. */
  get shared(): boolean {
    return this.health.available;
  }

  private get client() {
    return this.connection.client;
  }

  async coolingDown(ids: readonly string[], now: number): Promise<ReadonlySet<string>> {
    if (ids.length === 0) return new Set();
    return this.onRedis(
      async () => {
        const until = await this.client.mget(ids.map((id) => this.key('cooldown', id)));
        return new Set(ids.filter((_, i) => until[i] !== null && Number(until[i]) > now));
      },
      () => this.local.coolingDown(ids, now),
    );
  }

  async startCooldown(id: string, untilMs: number): Promise<void> {
    await this.local.startCooldown(id, untilMs);
    const ttlMs = Math.ceil(untilMs - Date.now());
    if (ttlMs <= 0) return;
    await this.onRedis(
      async () => void (await this.client.eval(START_COOLDOWN, 1, this.key('cooldown', id), String(untilMs), String(ttlMs))),
      () => undefined,
    );
  }

  async recordFailure(id: string, now: number, windowMs: number): Promise<number> {
    const local = await this.local.recordFailure(id, now, windowMs);
    const member = `${now}:${randomBytes(4).toString('hex')}`;
    return this.onRedis(
      async () => Number(await this.client.eval(RECORD_FAILURE, 1, this.key('failures', id), String(now), String(Math.ceil(windowMs)), member)),
      () => local,
    );
  }

  async addUsage(id: string, minute: number, usage: MinuteUsage): Promise<void> {
    await this.local.addUsage(id, minute, usage);
    const key = this.key(`usage:${minute}`, id);
    await this.onRedis(
      async () => {
        const results = await this.client
          .multi()
          .hincrby(key, 'requests', usage.requests)
          .hincrby(key, 'tokens', usage.tokens)
          .pexpire(key, USAGE_TTL_MS)
          .exec();
        const failed = results?.find(([err]) => err);
        if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction was aborted');
      },
      () => undefined,
    );
  }

  async usage(ids: readonly string[], minute: number): Promise<ReadonlyMap<string, MinuteUsage>> {
    if (ids.length === 0) return new Map();
    return this.onRedis(
      async () => {
        const pipeline = this.client.pipeline();
        for (const id of ids) pipeline.hmget(this.key(`usage:${minute}`, id), 'requests', 'tokens');
        const results = (await pipeline.exec()) ?? [];
        const out = new Map<string, MinuteUsage>();
        results.forEach(([err, fields], i) => {
          if (err) throw err;
          const [requests, tokens] = fields as (string | null)[];
          if (requests !== null || tokens !== null) out.set(ids[i]!, { requests: Number(requests ?? 0), tokens: Number(tokens ?? 0) });
        });
        return out;
      },
      () => this.local.usage(ids, minute),
    );
  }

  /** Whether Redis answers now. */
  async ping(): Promise<boolean> {
    return this.onRedis(
      async () => (await this.client.ping()) === 'PONG',
      () => false,
    );
  }

  /** Closes the connection we opened; a client passed in is left open. */
  async close(): Promise<void> {
    this.unwatch();
    await release(this.connection);
  }

  private key(kind: string, id: string): string {
    return `${this.tag}:${kind}:${id}`;
  }

  /** Runs `op` on Redis under the timeout; when Redis is down, slow or failing, answers from `fallback`. */
  private async onRedis<T>(op: () => Promise<T>, fallback: () => T | PromiseLike<T>): Promise<T> {
    try {
      return await guarded(this.connection, op);
    } catch (err) {
      if (this.listenerCount('error') > 0) this.emit('error', err as Error);
      return fallback();
    }
  }
}
