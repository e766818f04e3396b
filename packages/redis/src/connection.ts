import { CacheConfigError } from '@llmcache/core';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { withEnv, type IoRedisClient, type RedisClient, type RedisConnectionOptions } from './options';

/** A client plus whether we made it (and so must close it). */
export interface Connection {
  client: IoRedisClient;
  owned: boolean;
  /** Longest wait for one command, in ms. */
  timeoutMs: number;
  /**
   * The client enforces a command timeout itself (a client passed in with ioredis `commandTimeout`), so no
   * timer of ours is needed. Clients we open have none: ioredis arms its timer before writing the command,
   * where it costs latency; ours is armed after (see `guarded`).
   */
  selfTimed: boolean;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

/** Reconnect quickly and forever: a returning Redis is used again within half a second. */
const retryStrategy = (times: number) => Math.min(50 * times, 500);

/**
 * Options that make a down Redis cost nothing: commands fail at once instead of queueing for a
 * reconnect (no unbounded offline queue), and a command in flight when the socket drops fails too.
 */
function resilient(timeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(timeoutMs, 1000),
    retryStrategy,
    // After a sentinel failover the old master turns read-only: reconnect to find the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  };
}

/** The ioredis client behind a `client` option; anything else is a config error. */
export function asIoRedis(client: RedisClient): IoRedisClient {
  if (client instanceof Redis || client instanceof Cluster) return client;
  throw new CacheConfigError('redis', 'client', 'must be an ioredis Redis or Cluster');
}

/** Opens the client `options` describe (the environment filling in what they leave out), or wraps the one given. */
export function connect(options: RedisConnectionOptions = {}): Connection {
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new CacheConfigError('redis', 'commandTimeoutMs', `must be a positive number, got ${String(timeoutMs)}`);
  if (options.client) {
    const client = asIoRedis(options.client);
    track(client);
    const own = client instanceof Cluster ? client.options.redisOptions?.commandTimeout : client.options.commandTimeout;
    return { client, owned: false, timeoutMs: own ?? timeoutMs, selfTimed: typeof own === 'number' };
  }
  const o = withEnv(options);
  const base = resilient(timeoutMs);
  const auth: RedisOptions = {};
  if (o.username) auth.username = o.username;
  if (o.password) auth.password = o.password;
  if (o.ssl) auth.tls = {};
  let client: IoRedisClient;
  if (o.redisStartupNodes) {
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      slotsRefreshTimeout: Math.max(timeoutMs, 1000),
      redisOptions: { ...base, ...auth },
    };
    client = new Cluster(
      o.redisStartupNodes.map((n) => ({ host: n.host, port: Number(n.port) })),
      clusterOptions,
    );
  } else if (o.sentinels) {
    client = new Redis({
      ...base,
      ...auth,
      sentinels: o.sentinels.map((n) => ({ host: n.host, port: Number(n.port) })),
      name: o.serviceName ?? 'mymaster',
      sentinelRetryStrategy: retryStrategy,
      // Hear about a failover from the sentinels at once rather than from a failed command.
      failoverDetector: true,
    });
  } else if (o.url) {
    if (!/^rediss?:\/\//.test(o.url)) throw new CacheConfigError('redis', 'url', `must start with redis:// or rediss://, got "${o.url}"`);
    client = new Redis(o.url, { ...base, ...auth });
  } else {
    client = new Redis({ ...base, ...auth, host: o.host ?? '127.0.0.1', port: Number(o.port ?? 6379) });
  }
  // Failures reach callers through their commands; without a listener ioredis would print each one.
  client.on('error', () => undefined);
  track(client);
  return { client, owned: true, timeoutMs, selfTimed: false };
}

/**
 * Resolves when the client can take a command. Only the very first connection is waited for (at most
 * `timeoutMs`); once a client has been up, a lost connection fails the call at once instead.
 */
export function whenReady(client: IoRedisClient, timeoutMs: number): Promise<void> | undefined {
  if (client.status === 'ready') return undefined;
  if (client.status !== 'wait' && client.status !== 'connecting' && client.status !== 'connect') {
    return Promise.reject(new Error(`Redis is not connected (${client.status})`));
  }
  if (hasBeenReady.has(client)) return Promise.reject(new Error(`Redis is not connected (${client.status})`));
  if (client.status === 'wait') void client.connect().catch(() => undefined);
  return bounded(firstConnection(client), timeoutMs, `Redis did not connect within ${timeoutMs} ms`);
}

/** One listener per client for its first connection, however many calls wait for it. */
const firstReady = new WeakMap<IoRedisClient, Promise<void>>();

function firstConnection(client: IoRedisClient): Promise<void> {
  let ready = firstReady.get(client);
  if (!ready) {
    ready = new Promise<void>((resolve) => client.once('ready', () => resolve()));
    firstReady.set(client, ready);
  }
  return ready;
}

const hasBeenReady = new WeakSet<IoRedisClient>();

/** Whether the client has been connected once: from then on no call waits for a connection. */
export function hasConnected(client: IoRedisClient): boolean {
  return hasBeenReady.has(client);
}

/**
 * A client that timed out is presumed stalled (paused, overloaded, a half-open socket): later commands
 * fail at once instead of each waiting out its own timeout, until a background PING answers again.
 */
class Breaker {
  private open = false;
  private probing = false;
  /** Commands sent and not yet settled. */
  private pending = 0;
  /** When a command last settled, or the first of the pending ones was sent. */
  private lastProgress = 0;

  constructor(
    private readonly client: IoRedisClient,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Whether a command may be sent now. Commands under way with no answer for (nearly) the timeout also
   * count as a stall: the caller's own timer may fire a moment before the client's, and its next command
   * must not wait out a second timeout.
   */
  admit(): boolean {
    if (!this.open && this.pending > 0 && Date.now() - this.lastProgress >= this.timeoutMs * 0.9) this.trip();
    return !this.open;
  }

  sent(): void {
    if (this.pending++ === 0) this.lastProgress = Date.now();
  }

  settled(): void {
    this.pending--;
    this.lastProgress = Date.now();
  }

  trip(): void {
    this.open = true;
    if (!this.probing) void this.probe();
  }

  private async probe(): Promise<void> {
    this.probing = true;
    try {
      while (this.open) {
        const started = Date.now();
        try {
          if (this.client.status === 'end') return;
          await bounded(this.client.ping(), this.timeoutMs);
          this.open = false;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(this.timeoutMs, 100) - (Date.now() - started))));
        }
      }
    } finally {
      this.probing = false;
    }
  }
}

const breakers = new WeakMap<IoRedisClient, Breaker>();

function breakerOf(connection: Connection): Breaker {
  let breaker = breakers.get(connection.client);
  if (!breaker) {
    breaker = new Breaker(connection.client, connection.timeoutMs);
    breakers.set(connection.client, breaker);
  }
  return breaker;
}

/**
 * Runs one Redis operation with every guard: the first connection is waited for (bounded), a down or
 * stalled Redis fails it at once, and it is abandoned after the timeout (which marks Redis stalled).
 */
export function guarded<T>(connection: Connection, op: () => Promise<T>): Promise<T> {
  const breaker = breakerOf(connection);
  if (!breaker.admit()) return Promise.reject(new Error('Redis is not answering (stalled or overloaded); not waiting for it'));
  const gate = whenReady(connection.client, connection.timeoutMs);
  breaker.sent();
  const sent = gate ? gate.then(op) : op();
  if (connection.selfTimed) {
    return sent.then(
      (value) => {
        breaker.settled();
        return value;
      },
      (err: unknown) => {
        breaker.settled();
        // ioredis's own commandTimeout fired: Redis is stalled.
        if (err instanceof Error && /timed out/i.test(err.message)) breaker.trip();
        throw err;
      },
    );
  }
  // Armed once the command is written (op() wrote it, unless a first connection is awaited), so that
  // making the timer adds nothing to the round trip. One promise, no race: this is on every read.
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      breaker.trip();
      reject(new Error(`Redis gave no answer within ${connection.timeoutMs} ms`));
    }, connection.timeoutMs);
    sent.then(
      (value) => {
        breaker.settled();
        if (timedOut) return;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        breaker.settled();
        if (timedOut) return;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** `pending`, or a rejection with `message` once `timeoutMs` has passed. */
function bounded<T>(pending: Promise<T>, timeoutMs: number, message = `Redis gave no answer within ${timeoutMs} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    pending,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Marks a client once it has been ready, so that later outages fail fast (see `whenReady`). */
export function track(client: IoRedisClient): void {
  if (client.status === 'ready') hasBeenReady.add(client);
  else client.once('ready', () => hasBeenReady.add(client));
}

/** Closes an owned client, waiting at most `timeoutMs` for a polite QUIT. */
export async function release(connection: Connection): Promise<void> {
  if (!connection.owned) return;
  const { client } = connection;
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await bounded(client.quit(), connection.timeoutMs).catch(() => undefined);
  client.disconnect();
}
