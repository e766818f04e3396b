// The cached-answer path every call type takes: the cache side of the call (`cacheSide`), the lookup
// with single-flight (`lookup` for one entry, `lookupEach` for a call of many, as embeddings are), where
// an answer from a fallback group is stored (`storeUnder`), and how a whole answer ends (`settle`).
import type { Cache, CacheControl, CacheHit, ResolvedControl, ValueSource, WrapResult } from '@llmcache/core';
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
    // A wait for another process's computation of this miss never outlasts the call's own timeout.
    timeoutMs: call.settings.timeoutMs,
    semantic: () => semanticQueryFor(cache, ctx, call, call.identity, control.namespace),
  });
  return { context, result };
}

/** What `lookupEach` found: the cache's hits, the entries that missed, and what was computed for those. */
export interface EachResult<V, M> {
  /** Entry i's cache hit, or undefined when it missed. */
  hits: (CacheHit<V> | undefined)[];
  /** The entries (indexes into `keys`) that missed, in order. */
  missing: number[];
  /** What was computed for each missing entry, in the order of `missing`, with the call that made it. */
  items: { value: V; batch: M }[];
  /** The call this caller made itself, if it computed any entry; the other items were shared flights. */
  ledBatch: M | undefined;
}

/**
 * `lookup` for a call of many entries, each its own cache entry (`keys[i]`; none without a cache): reads
 * them at once, and computes only the missing ones, in one upstream call. An entry an identical
 * concurrent call is already computing is waited for (a flight per entry), when the call may read the
 * cache. What is computed is stored as it arrives, under the keys of the group that answered
 * (`keysUnder` gives the entries' keys under another identity, a fallback group's).
 */
export async function lookupEach<V, M extends { modelGroup: string }>(
  ctx: CallContext,
  call: PreparedCall,
  side: { cache: Cache; control: ResolvedControl } | undefined,
  keys: readonly string[],
  count: number,
  validate: (value: unknown) => boolean,
  compute: (entries: number[], signal: AbortSignal) => Promise<{ values: V[]; batch: M }>,
  keysUnder: (identity: string, entries: number[]) => string[],
): Promise<EachResult<V, M>> {
  const hits: (CacheHit<V> | undefined)[] = side?.control.read
    ? await side.cache.getMany<V>(keys, { maxAgeMs: side.control.maxAgeMs, validate })
    : Array.from({ length: count }, () => undefined);
  const missing = hits.map((_, i) => i).filter((i) => hits[i] === undefined);
  if (missing.length === 0) return { hits, missing, items: [], ledBatch: undefined };
  // One upstream call for the entries at `positions` (indexes into `missing`), stored as it answers.
  const computeMissing = async (positions: number[], signal: AbortSignal) => {
    const entries = positions.map((p) => missing[p]!);
    const computed = await compute(entries, signal);
    if (side?.control.write) {
      // A fallback group's answer belongs under that group's keys: it is another model.
      const identity = ctx.answeredIdentity(call, computed.batch.modelGroup);
      const storeKeys = identity === call.identity ? entries.map((i) => keys[i]!) : identity === undefined ? [] : keysUnder(identity, entries);
      if (storeKeys.length > 0)
        await side.cache.setMany(
          storeKeys.map((key, j) => ({ key, value: computed.values[j]! })),
          { ttlMs: side.control.ttlMs },
        );
    }
    return computed;
  };
  if (side?.control.read) {
    const { items, ledBatch } = await ctx.batchFlights.run(
      missing.map((i) => flightKeyOf(keys[i]!, call.request)),
      computeMissing,
      call.settings.signal,
    );
    return { hits, missing, items, ledBatch };
  }
  const { values, batch } = await computeMissing(
    missing.map((_, p) => p),
    call.settings.signal ?? NEVER_ABORTED,
  );
  return { hits, missing, items: values.map((value) => ({ value, batch })), ledBatch: batch };
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
