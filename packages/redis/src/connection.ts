import { CacheConfigError, LlmcacheError } from '@llmcache/core';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { bounded, healthOf, healthOfClient, NoAnswer, type ClientHealth } from './client-health';
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
  /** The client's health record (breaker, first connection, last error), shared by every user of the client. */
  health: ClientHealth;
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
    const own = client instanceof Cluster ? client.options.redisOptions?.commandTimeout : client.options.commandTimeout;
    const health = healthOf(client, own ?? timeoutMs);
    return { client, owned: false, timeoutMs: own ?? timeoutMs, selfTimed: typeof own === 'number', health };
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
  // Failures reach callers through their commands, naming the last error (kept by the health record,
  // whose listener also keeps ioredis from printing each one).
  return { client, owned: true, timeoutMs, selfTimed: false, health: healthOf(client, timeoutMs, true) };
}

/**
 * Resolves when the client can take a command. Only the first connection attempt is waited for (at most
 * `timeoutMs`, and no longer than it takes to fail); once it is over, a client that is not connected
 * fails the call at once, naming the last error (a refused connection, `WRONGPASS`, `NOAUTH`).
 */
export function whenReady(client: IoRedisClient, timeoutMs: number): Promise<void> | undefined {
  if (client.status === 'ready') return undefined;
  const health = healthOf(client, timeoutMs);
  if (health.firstAttemptOver || (client.status !== 'wait' && client.status !== 'connecting' && client.status !== 'connect')) {
    return Promise.reject(health.unavailable());
  }
  if (client.status === 'wait') void client.connect().catch(() => undefined);
  return bounded(health.firstConnection(), timeoutMs, `Redis did not connect within ${timeoutMs} ms`).catch((err: unknown) => {
    if (err instanceof NoAnswer) health.firstConnectionTimedOut(err);
    throw new LlmcacheError('redis', `Redis did not connect: ${(err as Error).message}`, { cause: err });
  });
}

/** Whether the client has been connected once: from then on no call waits for a connection. */
export function hasConnected(client: IoRedisClient): boolean {
  return client.status === 'ready' || healthOfClient(client)?.everReady === true;
}

/** Whether Redis takes commands on `connection` now (connected, and its breaker closed), and news of changes. */
export function healthOfConnection(connection: Connection): ClientHealth {
  return connection.health;
}

/**
 * Runs one Redis operation with every guard: the first connection is waited for (bounded), a down or
 * stalled Redis fails it at once, and it is abandoned after the timeout (which marks Redis stalled).
 */
export function guarded<T>(connection: Connection, op: () => Promise<T>): Promise<T> {
  const { health } = connection;
  if (!health.admit()) return Promise.reject(health.unavailable());
  const gate = whenReady(connection.client, connection.timeoutMs);
  health.sent();
  const sent = gate ? gate.then(op) : op();
  if (connection.selfTimed) {
    return sent.then(
      (value) => {
        health.settled();
        return value;
      },
      (err: unknown) => {
        health.settled();
        // ioredis's own commandTimeout fired: Redis is stalled.
        if (err instanceof Error && /timed out/i.test(err.message)) health.trip(err);
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
      const err = new NoAnswer(`Redis gave no answer within ${connection.timeoutMs} ms`);
      health.trip(err);
      reject(new LlmcacheError('redis', err.message, { cause: err }));
    }, connection.timeoutMs);
    sent.then(
      (value) => {
        health.settled();
        if (timedOut) return;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        health.settled();
        if (timedOut) return;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
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
