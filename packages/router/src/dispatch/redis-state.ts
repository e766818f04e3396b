import { LlmcacheError, type RouterState } from '@llmcache/core';
import { describeValue } from '@llmcache/core/internal';
import { RouterConfigError } from '../errors';
import type { RouterLog } from '../logger';
import type { RouterOptions } from '../types';

/** Where `redis: { … }` may point; the names of `@llmcache/redis`'s connection options. */
const CONNECTION_OPTIONS = new Set(['url', 'host', 'port', 'password', 'username', 'ssl', 'redisStartupNodes', 'sentinels', 'serviceName', 'prefix']);

const PACKAGE = '@llmcache/redis';

/** What `@llmcache/redis` offers the router. */
interface RedisPackage {
  RedisRouterState: new (options: Record<string, unknown>) => RouterState & { close(): Promise<void> };
}

/**
 * The shared routing state for the Router's `redis` option: `@llmcache/redis`'s `RedisRouterState`,
 * loaded on demand, so that a router without Redis never needs the package or its client.
 */
export function redisRouterState(redis: NonNullable<RouterOptions['redis']>): RouterState & { close(): Promise<void> } {
  if (typeof redis !== 'object' || redis === null || Array.isArray(redis)) {
    throw new RouterConfigError('redis', `must be { url }, { host, port, password } or an ioredis client, got ${describeValue(redis)}`);
  }
  // An ioredis Redis or Cluster: used as it is, and left open when the router closes.
  const isClient = typeof (redis as { sendCommand?: unknown }).sendCommand === 'function';
  if (!isClient) {
    for (const name of Object.keys(redis)) {
      if (!CONNECTION_OPTIONS.has(name)) throw new RouterConfigError(`redis.${name}`, `is not a Redis option; known: ${[...CONNECTION_OPTIONS].join(', ')}`);
    }
  }
  let loaded: Partial<RedisPackage>;
  try {
    // Synchronous on purpose, like `new Cache({ type })`: the constructor must fail right there.
    loaded = require(PACKAGE) as Partial<RedisPackage>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(PACKAGE)) {
      throw new RouterConfigError('redis', `needs the package ${PACKAGE}: npm install ${PACKAGE}`, { cause: err });
    }
    throw err;
  }
  if (typeof loaded.RedisRouterState !== 'function') {
    throw new RouterConfigError('redis', `${PACKAGE} does not export RedisRouterState; are @llmcache/router and ${PACKAGE} of matching versions?`);
  }
  try {
    return new loaded.RedisRouterState(isClient ? { client: redis } : (redis as Record<string, unknown>));
  } catch (err) {
    // Its own checks name the option (a CacheConfigError): name it under `redis`, so a config can say where it came from.
    const { option, detail } = err as { option?: unknown; detail?: unknown };
    if (typeof option === 'string' && typeof detail === 'string') throw new RouterConfigError(`redis.${option}`, detail, { cause: err });
    throw new RouterConfigError('redis', (err as Error).message, { cause: err });
  }
}

/** What `RedisRouterState` tells of itself: whether the state is shared now, and when that changes. */
interface SharedStateNews {
  shared?: unknown;
  on?: (event: 'state', listener: (event: { shared: boolean; error?: Error }) => void) => unknown;
}

/**
 * Says when the router's Redis state stops being shared (refused, `WRONGPASS`, down, not answering): a warn
 * line and an `error` event, since routing then runs on this process's own state; and at `info` when it is back.
 */
export function reportSharedState(state: RouterState, log: RouterLog, onLost: (error: Error) => void): void {
  const news = state as SharedStateNews;
  if (typeof news.on !== 'function') return;
  news.on('state', ({ shared, error }) => {
    if (shared) return log.info('router state shared on Redis again');
    const lost = new LlmcacheError('router', `redis: routing state is not shared (each process routes on its own)${error ? `: ${error.message}` : ''}`, {
      cause: error,
    });
    log.warn('router state not shared', { error: lost });
    onLost(lost);
  });
}

/** Whether `state` is shared right now; undefined for a state that does not say (or no `redis`). */
export function isShared(state: RouterState | undefined): boolean | undefined {
  const shared = (state as SharedStateNews | undefined)?.shared;
  return typeof shared === 'boolean' ? shared : undefined;
}
