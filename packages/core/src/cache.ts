import { EventEmitter } from 'eventemitter3';
import { isSemanticBackend, isThenable, type BackendEntry, type CacheBackend, type MaybePromise, type SemanticBackend } from './backend';
import { normalizeCallType, DEFAULT_SUPPORTED_CALL_TYPES, type CallType } from './call-types';
import { validateCacheControl, type CacheControl, type ResolvedControl } from './cache-control';
import { encodeEntry } from './entry';
import { EntryDecoder } from './entry-decoder';
import type { ExternalCacheOptions } from './backend-registry';
import { CACHE_BRAND } from './cache-brand';
import { CacheBackendError, CacheConfigError } from './errors';
import { createBackendForType } from './load-backend';
import { CacheMode, validateCacheOptions, type CacheOptions } from './options';
import { toEmbedder, type SemanticQuery } from './semantic';
import { SingleFlight, type DistributedLock } from './single-flight';
import { sleep } from './sleep';

/** A value read back from the cache. */
export interface CacheHit<T> {
  value: T;
  /** When it was stored, ms since the epoch. */
  createdAt: number;
  /** When it expires, ms since the epoch; `null` for never. */
  expiresAt: number | null;
}

/** Where `wrap` got its value: the cache, a fresh computation, or another caller's computation it waited for. */
export type ValueSource = 'cache' | 'computed' | 'shared';

export interface WrapResult<T> {
  value: T;
  source: ValueSource;
  /** Set when a semantic cache served another prompt's entry: the cosine similarity of the two prompts. */
  similarity?: number;
}

export interface WrapOptions<T> {
  /** The call's resolved controls (`cache.resolveControl(...)`). */
  control: ResolvedControl;
  /** Whether a computed value may be stored; errors, empty and partial answers should say no. @default () => true */
  isStorable?: (value: T) => boolean;
  /** Checks the shape of a stored value before it is served (see `ReadOptions.validate`). */
  validate?: (value: unknown) => boolean;
  /**
   * Callers share a computation only when their flight keys match. Give calls that would compute
   * differently (another timeout, another API key) different flight keys, so one caller's failure is
   * never another's. A function is called only on a miss, keeping its cost off the hit path.
   * @default the cache key
   */
  flightKey?: string | (() => string);
  /**
   * The caller's abort signal: when it fires, this caller stops waiting at once. A shared computation is
   * aborted (through the signal `compute` receives) only once every caller waiting on it has left.
   */
  signal?: AbortSignal | undefined;
  /**
   * What the call is looked up by in a semantic cache once its exact key misses, and stored with. Called
   * only after an exact miss, so that a hit never pays for it; ignored by other backends.
   */
  semantic?: (() => SemanticQuery | undefined) | undefined;
}

/** How a read judges what it finds. */
export interface ReadOptions {
  /** Oldest entry accepted, in ms (`s-maxage`). */
  maxAgeMs?: number | undefined;
  /**
   * Whether a stored value has the shape the caller needs; one that does not is treated like a corrupt
   * entry (a miss, an `error` event, deleted). @default () => true
   */
  validate?: ((value: unknown) => boolean) | undefined;
}

export type MissReason = 'absent' | 'expired' | 'too-old' | 'error';

export interface CacheEvents {
  /** `similarity`: set for a semantic hit, whose `key` is the matched entry's. */
  hit: (event: { key: string; ageMs: number; similarity?: number }) => void;
  miss: (event: { key: string; reason: MissReason }) => void;
  /** `bytes`: UTF-8 size of the stored entry. */
  set: (event: { key: string; bytes: number; ttlMs: number | null }) => void;
  error: (error: CacheBackendError) => void;
}

export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
  errors: number;
  /** hits / (hits + misses), 0 before any lookup. */
  hitRate: number;
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
}

/** What a backend operation yields when it threw or timed out (already reported). */
const FAILED = Symbol('failed');

/** `isStorable` when the caller gives none. */
const storableAlways = () => true;

/** The signal of a computation nobody can abort. */
const NEVER_ABORTED = new AbortController().signal;

/**
 * The cache a router (or anything else) reads and writes through. It owns every rule that must hold
 * whatever the store: entry encoding, expiry and `s-maxage`, timeouts, and turning backend failures
 * into misses plus `error` events, so a failing store never fails a call.
 */
export class Cache extends EventEmitter<CacheEvents> {
  readonly backend: CacheBackend;
  readonly mode: CacheMode;
  readonly namespace: string | undefined;
  /** Default lifetime in ms; `null` for never. */
  readonly ttlMs: number | null;
  /** Semantic caches: the least cosine similarity that counts as a hit; without it, lookups are by exact key only. */
  readonly similarityThreshold: number | undefined;
  private readonly supported: ReadonlySet<CallType>;
  private readonly timeoutMs: number;
  private readonly lock: DistributedLock | undefined;
  private readonly lockWaitMs: number;
  private readonly flights = new SingleFlight();
  private readonly decoder = new EntryDecoder();
  private readonly counters = { hits: 0, misses: 0, writes: 0, errors: 0 };
  private closed = false;

  constructor(options?: CacheOptions | ExternalCacheOptions) {
    super();
    const o = validateCacheOptions(options);
    this.backend = o.backend ?? createBackendForType(o);
    if (o.embedder && o.backend) {
      if (!isSemanticBackend(o.backend)) throw new CacheConfigError('core', 'embedder', 'is for semantic backends only');
      o.backend.setEmbedder(toEmbedder(o.embedder));
    }
    this.similarityThreshold = o.similarityThreshold;
    this.mode = o.mode ?? CacheMode.default_on;
    this.namespace = o.namespace;
    this.ttlMs = o.ttl === null ? null : (o.ttl ?? 600) * 1000;
    this.supported = new Set((o.supportedCallTypes ?? DEFAULT_SUPPORTED_CALL_TYPES).map((name) => normalizeCallType(name)!));
    this.timeoutMs = o.operationTimeoutMs ?? 2000;
    this.lock = o.lock ?? this.backend.lock;
    this.lockWaitMs = o.lockWaitMs ?? 30_000;
  }

  /** Applies mode, supported call types and the request's `cache` controls; throws `CacheConfigError` on a bad control. */
  resolveControl(callType: string, control?: CacheControl): ResolvedControl {
    const c = validateCacheControl(control);
    const type = normalizeCallType(callType);
    const enabled =
      type !== undefined &&
      this.supported.has(type) &&
      (this.mode === CacheMode.default_on ? c['use-cache'] !== false : c['use-cache'] === true);
    return {
      read: enabled && c['no-cache'] !== true,
      write: enabled && c['no-store'] !== true && c.ttl !== 0,
      ttlMs: c.ttl === undefined ? this.ttlMs : c.ttl * 1000,
      maxAgeMs: c['s-maxage'] === undefined ? undefined : c['s-maxage'] * 1000,
      namespace: c.namespace ?? this.namespace,
    };
  }

  /** Reads `key`; any failure, expiry or corruption is a miss. `maxAgeMs` rejects older entries (`s-maxage`). */
  async get<T = unknown>(key: string, options: ReadOptions = {}): Promise<CacheHit<T> | undefined> {
    return this.read<T>(key, options);
  }

  /**
   * `get`, with `next` run on what it finds: synchronously for a synchronous backend (the hit path of
   * `wrap` then never waits), else in the one promise reaction of the read.
   */
  private read<T, R = CacheHit<T> | undefined>(key: string, options: ReadOptions, next?: (hit: CacheHit<T> | undefined) => R): R | Promise<Awaited<R>> {
    return this.callThen('get', key, () => this.backend.get(key), (raw) => {
      const hit = this.accept<T>(key, raw, options);
      return next ? next(hit) : (hit as R);
    });
  }

  /** Reads many keys at once, in order. */
  async getMany<T = unknown>(keys: readonly string[], options: ReadOptions = {}): Promise<(CacheHit<T> | undefined)[]> {
    if (keys.length === 0) return [];
    const raws = await this.call('getMany', undefined, () =>
      this.backend.getMany ? this.backend.getMany(keys) : Promise.all(keys.map((k) => this.backend.get(k))),
    );
    if (raws === FAILED) return keys.map((key) => this.miss(key, 'error'));
    return keys.map((key, i) => this.accept<T>(key, raws[i], options));
  }

  /**
   * Stores `value` (JSON-serialisable) for `ttlMs` (default: the cache's ttl). With `semantic`, a semantic
   * backend also indexes it by the meaning of its prompt. Resolves false when the write failed.
   */
  set<T>(key: string, value: T, options: { ttlMs?: number | null; semantic?: SemanticQuery | undefined } = {}): Promise<boolean> {
    return this.write('set', key, [{ key, value }], options.ttlMs, options.semantic);
  }

  /** Stores many values with one lifetime. Resolves false when the write failed. */
  setMany<T>(items: readonly { key: string; value: T }[], options: { ttlMs?: number | null } = {}): Promise<boolean> {
    return this.write('setMany', undefined, items, options.ttlMs);
  }

  private async write<T>(
    operation: 'set' | 'setMany',
    key: string | undefined,
    items: readonly { key: string; value: T }[],
    ttl: number | null | undefined,
    semantic?: SemanticQuery,
  ): Promise<boolean> {
    if (items.length === 0) return true;
    const ttlMs = ttl === undefined ? this.ttlMs : ttl;
    const now = Date.now();
    const expiresAt = ttlMs === null ? null : now + ttlMs;
    let entries: BackendEntry[];
    try {
      entries = items.map((item) => ({ key: item.key, value: encodeEntry(item.value, now, expiresAt), ttlMs }));
    } catch (err) {
      // A value JSON cannot hold (a cycle, a BigInt) is a failed write, not a failed call.
      this.report('encode', key, err);
      return false;
    }
    const outcome = await this.call(operation, key, () => {
      const { backend } = this;
      if (semantic && entries.length === 1 && isSemanticBackend(backend)) {
        const { prompt, namespace, scope } = semantic;
        return backend.setWithPrompt(entries[0]!.key, prompt, entries[0]!.value, ttlMs, { namespace, scope }).then(() => true);
      }
      const done: MaybePromise<unknown> = entries.length === 1 ? backend.set(entries[0]!.key, entries[0]!.value, ttlMs)
        : backend.setMany ? backend.setMany(entries)
        : Promise.all(entries.map((e) => backend.set(e.key, e.value, e.ttlMs)));
      // A backend answers false when it declines an entry (too large to keep): not stored, not an error.
      return isThenable(done) ? done.then((answer) => answer !== false) : done !== false;
    });
    if (outcome !== true) return false;
    this.counters.writes += entries.length;
    if (this.listenerCount('set') > 0) {
      for (const e of entries) this.emit('set', { key: e.key, bytes: Buffer.byteLength(e.value), ttlMs });
    }
    return true;
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', key, () => this.backend.delete(key));
  }

  /**
   * Cache-aside with single-flight: a hit is returned as is; on a miss, concurrent callers of the same
   * key share one `compute` (and, with a `lock`, so do other processes). A failure reaches every waiter
   * and is not stored; a value is stored only when the control allows and `isStorable` agrees.
   */
  wrap<T>(key: string, compute: (signal: AbortSignal) => Promise<T>, options: WrapOptions<T>): Promise<WrapResult<T>> {
    // A semantic backend given as an instance answers by exact key only until a threshold is set.
    const semantic = options.semantic && this.similarityThreshold !== undefined && isSemanticBackend(this.backend) ? options.semantic : undefined;
    if (!options.control.read || semantic) return this.wrapSlowly(key, compute, options, semantic);
    // The hit path: no async frame, one promise, nothing kept but the hit.
    try {
      const read = { maxAgeMs: options.control.maxAgeMs, validate: options.validate };
      const served = this.read<T, WrapResult<T> | Promise<WrapResult<T>>>(key, read, (hit) =>
        hit ? { value: hit.value, source: 'cache' } : this.computeShared(key, compute, options, read, undefined, undefined),
      );
      // A promise comes back as it is, with no hop added.
      return Promise.resolve(served);
    } catch (err) {
      return Promise.reject(err);
    }
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
      if (control.write && (options.isStorable ?? storableAlways)(value)) await this.set(key, value, { ttlMs: control.ttlMs, semantic: semantic?.() });
      return { value, source: 'computed' };
    }
    const read = { maxAgeMs: control.maxAgeMs, validate: options.validate };
    // The miss is counted once the semantic lookup has missed too: one call, one hit or miss.
    const judged = this.judge<T>(key, await this.call('get', key, () => this.backend.get(key)), read);
    if (typeof judged !== 'string') return { value: this.counted(key, judged).value, source: 'cache' };
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
    const miss = { key, compute, control, read, isStorable, semantic, missed };
    const flight = this.flights.run(flightKey, (shared) => this.computeMiss(miss, shared), signal);
    const result = await flight.promise;
    if (flight.leader) return result;
    // A caller that joined the flight counts its own lookup: a hit when the leader's semantic match served
    // it (the leader reported the match), else the exact miss it had.
    if (missed !== undefined && result.source === 'cache') this.counters.hits++;
    else if (missed !== undefined) this.miss(key, missed);
    return result.source === 'cache' ? result : { value: result.value, source: 'shared' };
  }

  /** On a miss: the closest entry by meaning (a semantic cache), else the computation, stored when storable. */
  private async computeMiss<T>(miss: PendingMiss<T>, signal: AbortSignal): Promise<WrapResult<T>> {
    const { key, compute, control, read, isStorable } = miss;
    const query = miss.semantic?.();
    if (miss.semantic) {
      const match = query && (await this.findSimilar<T>(query, read, signal));
      if (match) return { value: match.value, source: 'cache', similarity: match.similarity };
      this.miss(key, miss.missed ?? 'absent');
    }
    let release = await this.acquireLock(key);
    if (release === null) {
      const outcome = await this.waitForWinner<T>(key, read, signal);
      if (outcome.hit) return { value: outcome.hit.value, source: 'cache' };
      release = outcome.release;
    }
    try {
      const value = await compute(signal);
      if (control.write && isStorable(value)) await this.set(key, value, { ttlMs: control.ttlMs, semantic: query });
      return { value, source: 'computed' };
    } finally {
      if (release) await release().catch((err: unknown) => this.report('unlock', key, err));
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
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]);
    const match = await this.call('findSimilar', undefined, () =>
      backend.findSimilar(query.prompt, { namespace: query.namespace, scope: query.scope, threshold, signal: bounded }),
    );
    if (match === FAILED || match === undefined) return undefined;
    const judged = this.judge<T>(match.key, match.value, read);
    if (typeof judged === 'string') return undefined;
    return { ...this.counted(match.key, judged, match.similarity), similarity: match.similarity };
  }

  /** A release function, `undefined` when there is no lock (or it failed: then we just compute), `null` when another process holds it. */
  private async acquireLock(key: string): Promise<(() => Promise<void>) | undefined | null> {
    if (!this.lock) return undefined;
    try {
      return (await this.lock.acquire(key, this.lockWaitMs)) ?? null;
    } catch (err) {
      this.report('lock', key, err);
      return undefined;
    }
  }

  /**
   * Polls for the value of the process holding the lock. Between polls it tries the lock again: when the
   * holder died, overran or failed, the lock ends (it expires or is released) and one waiter takes it and
   * computes, rather than every waiter at once. Past `lockWaitMs` it gives up and computes anyway.
   */
  private async waitForWinner<T>(key: string, read: ReadOptions, signal: AbortSignal): Promise<{ hit?: CacheHit<T>; release?: (() => Promise<void>) | undefined }> {
    const deadline = Date.now() + this.lockWaitMs;
    for (let delay = 10; Date.now() < deadline && !this.closed; delay = Math.min(delay * 2, 250)) {
      await sleep(delay, signal);
      const hit = await this.get<T>(key, read);
      if (hit) return { hit };
      const release = await this.acquireLock(key);
      if (release !== null) return { release };
    }
    return {};
  }

  stats(): CacheStats {
    const { hits, misses, writes, errors } = this.counters;
    return { hits, misses, writes, errors, hitRate: hits + misses === 0 ? 0 : hits / (hits + misses) };
  }

  /** Whether the backend answers within the operation timeout; a failure is reported and answers false. */
  async ping(): Promise<boolean> {
    if (!this.backend.ping) return true;
    return (await this.call('ping', undefined, () => this.backend.ping!())) === true;
  }

  /** Closes the backend; errors are reported, not thrown. Calls still waiting for another process's value stop waiting. */
  async close(): Promise<void> {
    this.closed = true;
    this.decoder.clear();
    if (this.backend.close) await this.call('close', undefined, () => this.backend.close!());
  }

  private accept<T>(key: string, raw: string | undefined | typeof FAILED, options: ReadOptions): CacheHit<T> | undefined {
    const judged = this.judge<T>(key, raw, options);
    return typeof judged === 'string' ? this.miss(key, judged) : this.counted(key, judged);
  }

  /** What a read found: a hit, or why it is a miss (a corrupt entry is reported and deleted). Counts nothing. */
  private judge<T>(key: string, raw: string | undefined | typeof FAILED, options: ReadOptions): CacheHit<T> | MissReason {
    if (raw === undefined || raw === FAILED) return raw === undefined ? 'absent' : 'error';
    let entry;
    try {
      entry = this.decoder.decode<T>(key, raw);
      if (options.validate && !options.validate(entry.d)) throw new Error('entry value does not have the expected shape');
    } catch (err) {
      this.report('decode', key, err);
      // Best effort: a corrupt entry would otherwise cost a decode failure on every read until it expires.
      void this.call('delete', key, () => this.backend.delete(key));
      return 'error';
    }
    const { maxAgeMs } = options;
    const now = Date.now();
    if (entry.e !== null && entry.e <= now) return 'expired';
    if (maxAgeMs !== undefined && now - entry.c >= maxAgeMs) return 'too-old';
    return { value: entry.d, createdAt: entry.c, expiresAt: entry.e };
  }

  private counted<T>(key: string, hit: CacheHit<T>, similarity?: number): CacheHit<T> {
    this.counters.hits++;
    if (this.listenerCount('hit') > 0) {
      const ageMs = Date.now() - hit.createdAt;
      this.emit('hit', similarity === undefined ? { key, ageMs } : { key, ageMs, similarity });
    }
    return hit;
  }

  private miss(key: string, reason: MissReason): undefined {
    this.counters.misses++;
    if (this.listenerCount('miss') > 0) this.emit('miss', { key, reason });
    return undefined;
  }

  /**
   * Runs a backend operation under the timeout; a throw or a timeout is reported and yields FAILED.
   * A synchronous backend's answer comes back synchronously: no timer, no extra promise on the hit path.
   */
  private call<R>(operation: string, key: string | undefined, op: () => MaybePromise<R>): MaybePromise<R | typeof FAILED> {
    return this.callThen(operation, key, op, (outcome) => outcome);
  }

  /** `call` with `next` run on the outcome, in the same promise reaction: a remote read costs one hop, not three. */
  private callThen<R, N>(operation: string, key: string | undefined, op: () => MaybePromise<R>, next: (outcome: R | typeof FAILED) => N): N | Promise<Awaited<N>> {
    let pending: MaybePromise<R>;
    try {
      pending = op();
    } catch (err) {
      return next(this.failed(operation, key, err));
    }
    if (!isThenable(pending)) return next(pending);
    // N is a value or a promise of one: either way the reaction's promise resolves to Awaited<N>.
    const react = next as (outcome: R | typeof FAILED) => Awaited<N> | PromiseLike<Awaited<N>>;
    const { readTimeoutMs } = this.backend;
    if (readTimeoutMs !== undefined && readTimeoutMs <= this.timeoutMs && (operation === 'get' || operation === 'getMany')) {
      return pending.then(react, (err: unknown) => react(this.failed(operation, key, err)));
    }
    return this.settle(operation, key, pending).then(react);
  }

  /** Reports a failed operation; what it yields instead. */
  private failed(operation: string, key: string | undefined, err: unknown): typeof FAILED {
    this.report(operation, key, err);
    return FAILED;
  }

  private settle<R>(operation: string, key: string | undefined, pending: Promise<R>): Promise<R | typeof FAILED> {
    // One promise and one timer per operation (no race of promises): this runs on every remote read.
    return new Promise((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.report(operation, key, new Error(`no answer within ${this.timeoutMs} ms`));
        resolve(FAILED);
      }, this.timeoutMs);
      timer.unref?.();
      pending.then(
        (value) => {
          if (settled) return;
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          clearTimeout(timer);
          resolve(this.failed(operation, key, err));
        },
      );
    });
  }

  private report(operation: string, key: string | undefined, err: unknown): void {
    this.counters.errors++;
    const message = err instanceof Error ? err.message : String(err);
    this.emit('error', new CacheBackendError(this.backend.name, operation, key, message, { cause: err }));
  }
}

// Recognised by brand, not instanceof: see cache-brand.ts.
Object.defineProperty(Cache.prototype, CACHE_BRAND, { value: true });
