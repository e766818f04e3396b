import { CacheConfigError, type CacheOptions, type RedisNode } from '@llmcache/core';
import { describeValue } from '@llmcache/core/internal';
import type { Cluster, Redis } from 'ioredis';

/**
 * An ioredis `Redis` or `Cluster`. Declared by two members every ioredis client has, not as ioredis's own
 * classes, so that our published types compile without @types/node (ioredis's declarations need it);
 * anything that is not an ioredis client is refused when it is passed in.
 */
export interface RedisClient {
  readonly isCluster: boolean;
  readonly status: string;
}

/** The same client with its ioredis type, as our own code uses it. */
export type IoRedisClient = Redis | Cluster;

/** Where Redis is: one of a URL, host and port, cluster seed nodes, sentinels, or a client of your own. */
export interface RedisConnectionOptions {
  /** A connected (or connecting) ioredis `Redis` or `Cluster`; it is used as is and never closed by us. */
  client?: RedisClient;
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS); wins over host/port. @default process.env.REDIS_URL */
  url?: string;
  /** @default process.env.REDIS_HOST, else '127.0.0.1' */
  host?: string;
  /** @default process.env.REDIS_PORT, else 6379 */
  port?: number | string;
  /** @default process.env.REDIS_PASSWORD */
  password?: string;
  /** ACL user. @default process.env.REDIS_USERNAME */
  username?: string;
  /** TLS. @default true when process.env.REDIS_SSL is `true`, `1` or `yes` (any case; see `sslFromEnv`), or for a `rediss://` url */
  ssl?: boolean;
  /** Cluster seed nodes; a cluster client is used when given. @default process.env.REDIS_CLUSTER_NODES (JSON `[{host,port}]` or `host:port,host:port`) */
  redisStartupNodes?: readonly RedisNode[];
  /** Sentinels to ask for the master. @default process.env.REDIS_SENTINEL_NODES (same formats) */
  sentinels?: readonly RedisNode[];
  /** The master's name at the sentinels. @default process.env.REDIS_SERVICE_NAME, else 'mymaster' */
  serviceName?: string;
  /**
   * Longest wait for one command, in ms, and for the first connection; nothing waits for a reconnect.
   * @default 1000
   */
  commandTimeoutMs?: number;
}

/**
 * What the environment says, read as LiteLLM reads it: `REDIS_URL`, `REDIS_HOST`, `REDIS_PORT`,
 * `REDIS_PASSWORD`, `REDIS_USERNAME`, `REDIS_SSL`, `REDIS_CLUSTER_NODES`, `REDIS_SENTINEL_NODES`, `REDIS_SERVICE_NAME`.
 */
export function connectionFromEnv(env: Record<string, string | undefined> = process.env): RedisConnectionOptions {
  const out: RedisConnectionOptions = {};
  if (env.REDIS_URL) out.url = env.REDIS_URL;
  if (env.REDIS_HOST) out.host = env.REDIS_HOST;
  if (env.REDIS_PORT) out.port = env.REDIS_PORT;
  if (env.REDIS_PASSWORD) out.password = env.REDIS_PASSWORD;
  if (env.REDIS_USERNAME) out.username = env.REDIS_USERNAME;
  if (env.REDIS_SSL) out.ssl = sslFromEnv(env.REDIS_SSL);
  if (env.REDIS_CLUSTER_NODES) out.redisStartupNodes = parseNodes('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES);
  if (env.REDIS_SENTINEL_NODES) out.sentinels = parseNodes('REDIS_SENTINEL_NODES', env.REDIS_SENTINEL_NODES);
  if (env.REDIS_SERVICE_NAME) out.serviceName = env.REDIS_SERVICE_NAME;
  return out;
}

/** `REDIS_SSL`: `true`, `1` or `yes`, in any case, turn TLS on; any other value turns it off. */
export function sslFromEnv(text: string): boolean {
  return /^(true|1|yes)$/i.test(text);
}

/** `[{"host":"a","port":7000}]`, `[["a",7000]]` (LiteLLM's JSON) or `a:7000,b:7001`. */
export function parseNodes(option: string, text: string): RedisNode[] {
  const trimmed = text.trim();
  let nodes: RedisNode[];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new CacheConfigError('redis', option, `is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!Array.isArray(parsed)) throw new CacheConfigError('redis', option, 'must be a list of nodes');
    nodes = parsed.map((n: unknown) =>
      Array.isArray(n) ? { host: String(n[0]), port: Number(n[1]) } : { host: String((n as RedisNode)?.host), port: Number((n as RedisNode)?.port) },
    );
  } else {
    nodes = trimmed.split(',').map((part) => {
      const at = part.trim().lastIndexOf(':');
      return { host: part.trim().slice(0, at), port: Number(part.trim().slice(at + 1)) };
    });
  }
  nodes.forEach((node, i) => {
    if (!node.host || !Number.isInteger(node.port) || node.port < 1 || node.port > 65535) {
      throw new CacheConfigError('redis', `${option}[${i}]`, `must be host:port, got ${describeValue(node)}`);
    }
  });
  return nodes;
}

/** Explicit options win over the environment, field by field; a given `url` or node list replaces host/port from the environment. */
export function withEnv(options: RedisConnectionOptions, env: Record<string, string | undefined> = process.env): RedisConnectionOptions {
  if (options.client) return options;
  const fromEnv = connectionFromEnv(env);
  const explicitTarget = options.url ?? options.host ?? options.redisStartupNodes ?? options.sentinels;
  if (explicitTarget !== undefined) {
    delete fromEnv.url;
    delete fromEnv.host;
    delete fromEnv.port;
    delete fromEnv.redisStartupNodes;
    delete fromEnv.sentinels;
  }
  const merged: RedisConnectionOptions = { ...fromEnv };
  for (const [name, value] of Object.entries(options)) if (value !== undefined) (merged as Record<string, unknown>)[name] = value;
  return merged;
}

/**
 * The connection part of `new Cache({ type: 'redis', … })`'s options (core knows their names and plain
 * types; their defaults and environment are the ones documented above).
 */
export function connectionFromCacheOptions(options: CacheOptions): RedisConnectionOptions {
  const { url, host, port, password, username, ssl, redisStartupNodes, sentinels, serviceName, operationTimeoutMs } = options;
  return { url, host, port, password, username, ssl, redisStartupNodes, sentinels, serviceName, commandTimeoutMs: operationTimeoutMs };
}
