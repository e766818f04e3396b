import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import { MemoryRouterState, type MinuteUsage, type RouterState, type UsageReservation } from '@llmcache/core';
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

/**
 * Keeps only failures inside the window, adds this one, and counts them: one atomic step. Times are
 * Redis's own (`TIME`), so that failures from hosts whose clocks differ fall in one window.
 */
const RECORD_FAILURE = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return redis.call('ZCARD', KEYS[1])`;

/**
 * Extends a cooldown, never shortens it; Redis drops the key when it ends. The key holds no time: it
 * lives for the cooldown's duration by Redis's clock, so hosts whose clocks differ still agree.
 */
const START_COOLDOWN = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1`;

/**
 * Counts a reservation's requests only if they fit the rpm limit, and the counted tokens plus the
 * expected ones fit the tpm limit (an empty limit is none): check and count in one step.
 */
const RESERVE = `
local used = redis.call('HMGET', KEYS[1], 'requests', 'tokens')
local requests = tonumber(used[1] or '0')
local tokens = tonumber(used[2] or '0')
if ARGV[3] ~= '' and requests + tonumber(ARGV[1]) > tonumber(ARGV[3]) then return 0 end
if ARGV[4] ~= '' and tokens + tonumber(ARGV[2]) > tonumber(ARGV[4]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'requests', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

/** Usage counters outlive their minute briefly, for readers whose clock is a little behind. */
const USAGE_TTL_MS = 120_000;

/**
 * Routing state shared by every router on one Redis: cooldowns are keys that expire with `PX` (their
 * existence is the cooldown, so no two hosts' clocks are ever compared), failure windows are sorted sets
 * trimmed and counted by one script, per-minute usage is counted with `HINCRBY` plus an expiry in one
 * `MULTI`, and a call's place under its deployment's rpm/tpm is reserved by one script. Every change is
 * also kept in this process's own state, which answers whenever Redis is down or slow, so routing never
 * fails because Redis did; a cooldown this process took holds here even if Redis lost it.
 */
export class RedisRouterState extends EventEmitter<RedisRouterStateEvents> implements RouterState {
  private readonly connection: Connection;
  private readonly tag: string;
  private readonly local: MemoryRouterState;
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
    // Our own cooldowns always count: one taken while Redis was down is not in Redis when it returns.
    const own = this.local.coolingDown(ids, now);
    return this.onRedis(
      async () => {
        // A key that exists is a cooldown that has not ended by Redis's clock; its value says nothing.
        const found = await this.client.mget(ids.map((id) => this.key('cooldown', id)));
        const out = new Set(own);
        ids.forEach((id, i) => found[i] !== null && out.add(id));
        return out;
      },
      () => own,
    );
  }

  async startCooldown(id: string, untilMs: number): Promise<void> {
    this.local.startCooldown(id, untilMs);
    // `untilMs` is on this process's clock: only the duration it leaves goes to Redis.
    const ttlMs = Math.ceil(untilMs - Date.now());
    if (ttlMs <= 0) return;
    await this.onRedis(
      async () => void (await this.client.eval(START_COOLDOWN, 1, this.key('cooldown', id), String(ttlMs))),
      () => undefined,
    );
  }

  async recordFailure(id: string, now: number, windowMs: number): Promise<number> {
    const local = this.local.recordFailure(id, now, windowMs);
    const member = `${now}:${randomBytes(4).toString('hex')}`;
    return this.onRedis(
      async () => Number(await this.client.eval(RECORD_FAILURE, 1, this.key('failures', id), String(Math.ceil(windowMs)), member)),
      () => local,
    );
  }

  async addUsage(id: string, minute: number, usage: MinuteUsage): Promise<void> {
    this.local.addUsage(id, minute, usage);
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

  async reserve(id: string, minute: number, reservation: UsageReservation): Promise<boolean> {
    const { requests, expectedTokens, rpm, tpm } = reservation;
    const key = this.key(`usage:${minute}`, id);
    return this.onRedis(
      async () => {
        const limit = (n: number | undefined) => (n === undefined ? '' : String(n));
        const args = [String(requests), String(expectedTokens), limit(rpm), limit(tpm), String(USAGE_TTL_MS)];
        const granted = Number(await this.client.eval(RESERVE, 1, key, ...args)) === 1;
        // Mirrored here, so that this process's own count is right if Redis goes away.
        if (granted) this.local.addUsage(id, minute, { requests, tokens: 0 });
        return granted;
      },
      // Redis down: limits hold per process, on what this process counted itself.
      () => this.local.reserve(id, minute, reservation),
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
