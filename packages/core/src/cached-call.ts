import { isSemanticBackend, type CacheBackend, type SemanticBackend } from './backend';
import type { CacheCounters, CacheHit, MissReason, ReadOptions, WrapOptions, WrapResult } from './cache-types';
import type { ResolvedControl } from './cache-control';
import type { EntryReader } from './entry-reader';
import { FAILED, type GuardedBackend } from './guarded-backend';
import type { SemanticQuery } from './semantic';
import { SingleFlight, type DistributedLock, type LockRelease } from './single-flight';
import { sleep } from './sleep';

/** What the cached-call path needs of the cache that owns it: its public reads and writes. */
export interface CacheReadWrite {
  get<T>(key: string, options: ReadOptions): Promise<CacheHit<T> | undefined>;
  set<T>(key: string, value: T, options: { ttlMs?: number | null; semantic?: SemanticQuery | undefined }): Promise<boolean>;
}

export interface CachedCallOptions {
  /** Semantic caches: the least cosine similarity that counts as a hit; without it, lookups are by exact key only. */
  similarityThreshold: number | undefined;
  /** Cross-process lock, so that a miss is computed once across processes. */
  lock: DistributedLock | undefined;
  /** How long a caller that could not take the lock waits for the winner's value, in ms. */
  lockWaitMs: number;
}

/** A miss on its way to be computed. */
interface PendingMiss<T> {
  key: string;
  compute: (signal: AbortSignal) => Promise<T>;
  control: ResolvedControl;
  read: ReadOptions;
  isStorable: (value: T) => boolean;
  /** Set when the backend is semantic and the call has a meaning to look up. */
  semantic: (() => SemanticQuery | undefined) | undefined;
  /** Why the exact key missed, counted once the semantic lookup has missed too. */
  missed: MissReason | undefined;
  /** The caller's time budget: a wait for another process's value never lasts longer. */
  timeoutMs: number | undefined;
}

/** `isStorable` when the caller gives none. */
const storableAlways = () => true;

/** A lease on a lock that can be extended: a holder that died loses it within this long. */
const LEASE_MS = 5000;

/** The signal of a computation nobody can abort. */
const NEVER_ABORTED = new AbortController().signal;

/**
 * `Cache.wrap`: cache-aside with single-flight. A hit is returned as is; on a miss, concurrent callers
 * of the same flight key share one computation (and, with a lock, so do other processes), after a
 * semantic cache has looked for an entry close in meaning.
 */
export class CachedCall {
  private readonly backend: CacheBackend;
  private readonly similarityThreshold: number | undefined;
  private readonly flights = new SingleFlight();
  private closed = false;

  constructor(
    private readonly cache: CacheReadWrite,
    private readonly guard: GuardedBackend,
    private readonly reader: EntryReader,
    private readonly counters: CacheCounters,
    private readonly options: CachedCallOptions,
  ) {
    this.backend = guard.backend;
    this.similarityThreshold = options.similarityThreshold;
  }

  /** See `Cache.wrap`. */
  wrap<T>(key: string, compute: (signal: AbortSignal) => Promise<T>, options: WrapOptions<T>): Promise<WrapResult<T>> {
    // A semantic backend given as an instance answers by exact key only until a threshold is set.
    const semantic = options.semantic && this.similarityThreshold !== undefined && isSemanticBackend(this.backend) ? options.semantic : undefined;
    if (!options.control.read || semantic) return this.wrapSlowly(key, compute, options, semantic);
    // The hit path: no async frame, one promise, nothing kept but the hit.
    try {
      const read = { maxAgeMs: options.control.maxAgeMs, validate: options.validate };
      const served = this.reader.read<T, WrapResult<T> | Promise<WrapResult<T>>>(key, read, (hit) =>
        hit ? { value: hit.value, source: 'cache' } : this.computeShared(key, compute, options, read, undefined, undefined),
      );
      // A promise comes back as it is, with no hop added.
      return Promise.resolve(served);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Calls still waiting for another process's value stop waiting. */
  close(): void {
    this.closed = true;
  }

  /** `wrap` when the call skips the lookup, or looks up by meaning after an exact miss. */
  private async wrapSlowly<T>(
    key: string,
    compute: (signal: AbortSignal) => Promise<T>,
    options: WrapOptions<T>,
    semantic: (() => SemanticQuery | undefined) | undefined,
  ): Promise<WrapResult<T>> {
    const { control, signal } = options;
    if (!control.read) {
      const value = await compute(signal ?? NEVER_ABORTED);
      if (control.write && (options.isStorable ?? storableAlways)(value)) await this.cache.set(key, value, { ttlMs: control.ttlMs, semantic: semantic?.() });
      return { value, source: 'computed' };
    }
    const read = { maxAgeMs: control.maxAgeMs, validate: options.validate };
    // The miss is counted once the semantic lookup has missed too: one call, one hit or miss.
    const judged = this.reader.judge<T>(key, await this.guard.call('get', key, () => this.backend.get(key)), read);
    if (typeof judged !== 'string') return { value: this.reader.counted(key, judged).value, source: 'cache' };
    return this.computeShared(key, compute, options, read, semantic, judged);
  }

  /** After a miss: one computation (or semantic match) for every concurrent caller with the same flight key. */
  private async computeShared<T>(
    key: string,
    compute: (signal: AbortSignal) => Promise<T>,
    options: WrapOptions<T>,
    read: ReadOptions,
    semantic: (() => SemanticQuery | undefined) | undefined,
    missed: MissReason | undefined,
  ): Promise<WrapResult<T>> {
    const { control, signal } = options;
    signal?.throwIfAborted();
    const flightKey = typeof options.flightKey === 'function' ? options.flightKey() : (options.flightKey ?? key);
    const isStorable = options.isStorable ?? storableAlways;
    const miss = { key, compute, control, read, isStorable, semantic, missed, timeoutMs: options.timeoutMs };
    const flight = this.flights.run(flightKey, (shared) => this.computeMiss(miss, shared), signal);
    const result = await flight.promise;
    if (flight.leader) return result;
    // A caller that joined the flight counts its own lookup: a hit when the leader's semantic match served
    // it (the leader reported the match), else the exact miss it had.
    if (missed !== undefined && result.source === 'cache') this.counters.hits++;
    else if (missed !== undefined) this.reader.miss(key, missed);
    return result.source === 'cache' ? result : { value: result.value, source: 'shared' };
  }

  /** On a miss: the closest entry by meaning (a semantic cache), else the computation, stored when storable. */
  private async computeMiss<T>(miss: PendingMiss<T>, signal: AbortSignal): Promise<WrapResult<T>> {
    const { key, compute, control, read, isStorable } = miss;
    const query = miss.semantic?.();
    if (miss.semantic) {
      const match = query && (await this.findSimilar<T>(query, read, signal));
      if (match) return { value: match.value, source: 'cache', similarity: match.similarity };
      this.reader.miss(key, miss.missed ?? 'absent');
    }
    // A call that will store nothing has nothing to share with other processes: it neither waits nor makes them wait.
    let release = control.write ? await this.acquireLock(key) : undefined;
    if (release === null) {
      const outcome = await this.waitForWinner<T>(key, read, signal, miss.timeoutMs);
      if (outcome.hit) return { value: outcome.hit.value, source: 'cache' };
      release = outcome.release;
    }
    let stored = false;
    const renewal = release?.extend ? this.keepLease(key, release.extend) : undefined;
    try {
      const value = await compute(signal);
      if (control.write && isStorable(value)) stored = await this.cache.set(key, value, { ttlMs: control.ttlMs, semantic: query });
      return { value, source: 'computed' };
    } finally {
      clearInterval(renewal);
      // Without a value, the waiters are told to stop waiting rather than take turns at the same failure.
      if (release) await release({ stored }).catch((err: unknown) => this.guard.report('unlock', key, err));
    }
  }

  /**
   * The stored entry closest in meaning to the query, at or above the similarity threshold, fresh enough
   * for `read`; a failure or a slow lookup (the embedding included) is reported and is a miss.
   */
  private async findSimilar<T>(query: SemanticQuery, read: ReadOptions, signal: AbortSignal): Promise<(CacheHit<T> & { similarity: number }) | undefined> {
    const backend = this.backend as SemanticBackend;
    const threshold = this.similarityThreshold!;
    // The embedding call stops when the caller leaves or the operation times out.
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(this.guard.timeoutMs)]);
    const match = await this.guard.call('findSimilar', undefined, () =>
      backend.findSimilar(query.prompt, { namespace: query.namespace, scope: query.scope, threshold, signal: bounded }),
    );
    if (match === FAILED || match === undefined) return undefined;
    const judged = this.reader.judge<T>(match.key, match.value, read);
    if (typeof judged === 'string') return undefined;
    return { ...this.reader.counted(match.key, judged, match.similarity), similarity: match.similarity };
  }

  /**
   * A release function; `undefined` when we just compute (there is no lock, it failed, or its last holder
   * left without a value); `null` when another process holds it.
   */
  private async acquireLock(key: string): Promise<LockRelease | undefined | null> {
    const { lock, lockWaitMs } = this.options;
    if (!lock) return undefined;
    try {
      const taken = await lock.acquire(key, lock.leases ? Math.min(LEASE_MS, lockWaitMs) : lockWaitMs);
      return taken === 'no-value' ? undefined : (taken ?? null);
    } catch (err) {
      this.guard.report('lock', key, err);
      return undefined;
    }
  }

  /**
   * Extends a leased lock while its computation runs, up to `lockWaitMs` in all (by then its waiters have
   * stopped waiting), and stops once the lock is lost.
   */
  private keepLease(key: string, extend: (ttlMs: number) => Promise<boolean>): NodeJS.Timeout {
    const { lockWaitMs } = this.options;
    const lease = Math.min(LEASE_MS, lockWaitMs);
    const until = Date.now() + lockWaitMs;
    const timer = setInterval(() => {
      const left = until - Date.now();
      if (left <= 0) return clearInterval(timer);
      extend(Math.min(lease, left)).then(
        (held) => held || clearInterval(timer),
        (err: unknown) => this.guard.report('lock', key, err),
      );
    }, lease / 3);
    // A lease never keeps the process alive.
    timer.unref();
    return timer;
  }

  /**
   * Polls for the value of the process holding the lock. Between polls it tries the lock again: when the
   * holder died, overran or failed, the lock ends (it expires or is released) and one waiter takes it and
   * computes, rather than every waiter at once; when the holder left without a value, every waiter computes
   * at once. Past `lockWaitMs`, or the caller's own `timeoutMs`, it gives up and computes anyway.
   */
  private async waitForWinner<T>(
    key: string,
    read: ReadOptions,
    signal: AbortSignal,
    timeoutMs: number | undefined,
  ): Promise<{ hit?: CacheHit<T>; release?: LockRelease | undefined }> {
    const deadline = Date.now() + Math.min(this.options.lockWaitMs, timeoutMs ?? Infinity);
    for (let delay = 10; Date.now() < deadline && !this.closed; delay = Math.min(delay * 2, 250)) {
      // The last pause ends at the deadline, not past it.
      await sleep(Math.max(0, Math.min(delay, deadline - Date.now())), signal);
      const hit = await this.cache.get<T>(key, read);
      if (hit) return { hit };
      const release = await this.acquireLock(key);
      if (release !== null) return { release };
    }
    return {};
  }
}
