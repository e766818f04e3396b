// The cached-answer path every call type takes: the cache side of the call (`cacheSide`), the lookup with
// single-flight (`lookup`; embeddings look up per input, in embedding.ts, on the same cache side), where
// an answer from a fallback group is stored (`storeUnder`), and how a whole answer ends (`settle`).
import type { Cache, CacheControl, ResolvedControl, ValueSource, WrapResult } from '@llmcache/core';
import type { HiddenParams, Usage } from '../types';
import type { CallContext } from './context';
import type { PreparedCall } from './prepared-call';
import { flightKeyOf } from './request';
import { semanticQueryFor } from './semantic-embedder';

/** What an answer is stored as: the plain answer, and the deployment and model group that produced it. */
export interface Stored<T> {
  response: T;
  deploymentId: string | undefined;
  modelGroup: string;
}

/** The cache side of a call, as `lookup` found it; all undefined without a cache. */
export interface CacheContext {
  cache: Cache | undefined;
  control: ResolvedControl | undefined;
  key: string | undefined;
  /**
   * Set when the call may read the cache, and so share a flight with identical calls; made on the
   * first miss, so that a hit never pays for it.
   */
  flightKey: string | undefined;
}

/** The signal of work nobody can abort. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** The cache a call uses and what its `cache` field lets it do there; undefined without a cache. Throws once the router is closed. */
export function cacheSide(ctx: CallContext, call: PreparedCall): { cache: Cache; control: ResolvedControl } | undefined {
  ctx.assertOpen();
  const cache = ctx.cache;
  return cache ? { cache, control: cache.resolveControl(call.callType, call.request.cache as CacheControl | undefined) } : undefined;
}

/**
 * Reads the cache and, on a miss, computes once for all identical concurrent calls (single-flight):
 * `compute` gets the flight's signal, which aborts only when every caller has left. Without a cache, computes.
 */
export function lookup<V>(
  ctx: CallContext,
  call: PreparedCall,
  compute: (signal: AbortSignal, context: CacheContext) => Promise<V>,
  checks: { validate: (value: unknown) => boolean; isStorable: (value: V) => boolean },
): { context: CacheContext; result: Promise<WrapResult<V>> } {
  ctx.assertOpen();
  const cache = ctx.cache;
  const { signal } = call.settings;
  if (!cache) {
    const context: CacheContext = { cache, control: undefined, key: undefined, flightKey: undefined };
    return { context, result: compute(signal ?? NEVER_ABORTED, context).then((value) => ({ value, source: 'computed' })) };
  }
  const control = cache.resolveControl(call.callType, call.request.cache as CacheControl | undefined);
  const key = ctx.keyFor(call, call.identity, control.namespace);
  const context: CacheContext = { cache, control, key, flightKey: undefined };
  const result = cache.wrap(key, (flightSignal) => compute(flightSignal, context), {
    control,
    validate: checks.validate,
    flightKey: () => (context.flightKey = flightKeyOf(key, call.request)),
    isStorable: checks.isStorable,
    signal,
    semantic: () => semanticQueryFor(cache, ctx, call, call.identity, control.namespace),
  });
  return { context, result };
}

/**
 * Stores an answer from `modelGroup` under that group's identity, when it is another group's than the
 * call's (a fallback's answer never goes under the key of the group that failed) and the cache may be
 * written; `always` stores under the call's own identity too (a stream, which `wrap` does not store).
 */
export async function storeUnder<T>(
  ctx: CallContext,
  call: PreparedCall,
  stored: Stored<T>,
  { cache, control }: Pick<CacheContext, 'cache' | 'control'>,
  isComplete: (response: T) => boolean,
  always = false,
): Promise<void> {
  const answeredBy = ctx.answeredIdentity(call, stored.modelGroup);
  if (cache && control?.write && answeredBy !== undefined && (always || answeredBy !== call.identity) && isComplete(stored.response)) {
    const semantic = semanticQueryFor(cache, ctx, call, answeredBy, control.namespace);
    await cache.set(ctx.keyFor(call, answeredBy, control.namespace), stored, { ttlMs: control.ttlMs, semantic });
  }
}

/** A whole answer's last steps: each caller's own copy, `_hiddenParams` and the success event. */
export function settle<T extends object>(
  ctx: CallContext,
  call: PreparedCall,
  result: Stored<T>,
  source: ValueSource,
  { key }: CacheContext,
  similarity?: number,
): { stored: Stored<T>; hidden: HiddenParams } {
  // A computed value is shared by the leader and every waiter: each caller gets its own copy.
  const stored = source === 'cache' ? result : structuredClone(result);
  const cacheHit = source === 'cache';
  // A miss reports the group that answered (a fallback's, if one did); a hit, the group asked.
  const modelGroup = cacheHit ? call.modelGroup : stored.modelGroup;
  const hidden = ctx.hidden({ modelGroup, cacheHit, cacheKey: key, deploymentId: stored.deploymentId, call });
  if (source === 'shared') hidden.sharedFlight = true;
  if (similarity !== undefined) hidden.semanticSimilarity = similarity;
  ctx.logLookup(call, key, cacheHit, source === 'shared');
  ctx.succeeded(call, modelGroup, stored.deploymentId, cacheHit, hidden.latencyMs, (stored.response as { usage?: Usage }).usage);
  return { stored, hidden };
}
