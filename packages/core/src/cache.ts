import { EventEmitter } from 'eventemitter3';
import { isSemanticBackend, isThenable, type BackendEntry, type CacheBackend, type MaybePromise } from './backend';
import { CachedCall } from './cached-call';
import type { CacheCounters, CacheEvents, CacheHit, CacheStats, ReadOptions, WrapOptions, WrapResult } from './cache-types';
import { normalizeCallType, DEFAULT_SUPPORTED_CALL_TYPES, type CallType } from './call-types';
import { validateCacheControl, type CacheControl, type ResolvedControl } from './cache-control';
import { encodeEntry } from './entry';
import { EntryReader } from './entry-reader';
import { CacheBackendError, CacheConfigError } from './errors';
import { FAILED, GuardedBackend } from './guarded-backend';
import { checkNamespace, isWellFormed, wellFormed } from './key-space';
import { createBackendForType } from './load-backend';
import { CacheMode, validateCacheOptions, type CacheOptions, type ExternalCacheOptions } from './options';
import { toEmbedder, type SemanticQuery } from './semantic';

export type { CacheEvents, CacheHit, CacheStats, MissReason, ReadOptions, ValueSource, WrapOptions, WrapResult } from './cache-types';

/**
 * Marks every `Cache`. A registry symbol (`Symbol.for`) is the same in every copy of core, so a cache
 * made by one copy is recognised by another (npm can install two when versions skew); `instanceof`
 * would see two unrelated classes.
 */
export const CACHE_BRAND: unique symbol = Symbol.for('llmcache.cache') as never;

/** Whether `value` is a `Cache` from any copy of `@llmcache/core`. */
export function isCache(value: unknown): value is Cache {
  return typeof value === 'object' && value !== null && (value as { [CACHE_BRAND]?: unknown })[CACHE_BRAND] === true;
}

/**
 * The cache a router (or anything else) reads and writes through. It owns every rule that must hold
 * whatever the store: entry encoding, expiry and `s-maxage`, timeouts, and turning backend failures
 * into misses plus `error` events, so a failing store never fails a call.
 *
 * Its parts: `GuardedBackend` bounds and reports every backend call, `EntryReader` judges and counts
 * what a read finds, `CachedCall` is `wrap` (single-flight, locks, semantic lookups).
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
  private readonly counters: CacheCounters = { hits: 0, misses: 0, writes: 0, errors: 0 };
  private readonly guard: GuardedBackend;
  private readonly reader: EntryReader;
  private readonly calls: CachedCall;

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
    this.guard = new GuardedBackend(this.backend, o.operationTimeoutMs ?? 2000, this.counters, this);
    this.reader = new EntryReader(this.guard, this.counters, this);
    this.calls = new CachedCall(this, this.guard, this.reader, this.counters, {
      similarityThreshold: this.similarityThreshold,
      lock: o.lock ?? this.backend.lock,
      lockWaitMs: o.lockWaitMs ?? 30_000,
    });
  }

  /** Applies mode, supported call types and the request's `cache` controls; throws `CacheConfigError` on a bad control. */
  resolveControl(callType: string, control?: CacheControl): ResolvedControl {
    const c = validateCacheControl(control);
    const type = normalizeCallType(callType);
    const enabled = type !== undefined && this.supported.has(type) && (this.mode === CacheMode.default_on ? c['use-cache'] !== false : c['use-cache'] === true);
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
    checkKey(key);
    return this.reader.read<T>(key, options);
  }

  /** Reads many keys at once, in order. */
  async getMany<T = unknown>(keys: readonly string[], options: ReadOptions = {}): Promise<(CacheHit<T> | undefined)[]> {
    if (keys.length === 0) return [];
    for (const key of keys) checkKey(key);
    const raws = await this.guard.call('getMany', undefined, () =>
      // eslint-disable-next-line @typescript-eslint/await-thenable -- a backend's get returns MaybePromise: Promise.all takes plain values too (typescript-eslint#11694)
      this.backend.getMany ? this.backend.getMany(keys) : Promise.all(keys.map((k) => this.backend.get(k))),
    );
    if (raws === FAILED) return keys.map((key) => this.reader.miss(key, 'error'));
    return keys.map((key, i) => this.reader.accept<T>(key, raws[i], options));
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
    for (const item of items) checkKey(item.key);
    const ttlMs = ttl === undefined ? this.ttlMs : ttl;
    const now = Date.now();
    const expiresAt = ttlMs === null ? null : now + ttlMs;
    let entries: BackendEntry[];
    try {
      entries = items.map((item) => ({ key: item.key, value: encodeEntry(item.value, now, expiresAt), ttlMs }));
    } catch (err) {
      // A value JSON cannot hold (a cycle, a BigInt) is a failed write, not a failed call.
      this.guard.report('encode', key, err);
      return false;
    }
    const outcome = await this.guard.call(operation, key, () => {
      const { backend } = this;
      if (semantic && entries.length === 1 && isSemanticBackend(backend)) {
        const { prompt, namespace, scope } = semantic;
        return backend.setWithPrompt(entries[0]!.key, prompt, entries[0]!.value, ttlMs, { namespace, scope }).then(() => true);
      }
      const done: MaybePromise<unknown> =
        entries.length === 1
          ? backend.set(entries[0]!.key, entries[0]!.value, ttlMs)
          : backend.setMany
            ? backend.setMany(entries)
            : // eslint-disable-next-line @typescript-eslint/await-thenable -- a backend's set returns MaybePromise: Promise.all takes plain values too (typescript-eslint#11694)
              Promise.all(entries.map((e) => backend.set(e.key, e.value, e.ttlMs)));
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
    checkKey(key);
    await this.guard.call('delete', key, () => this.backend.delete(key));
  }

  /**
   * Cache-aside with single-flight: a hit is returned as is; on a miss, concurrent callers of the same
   * key share one `compute` (and, with a `lock`, so do other processes). A failure reaches every waiter
   * and is not stored; a value is stored only when the control allows and `isStorable` agrees.
   */
  wrap<T>(key: string, compute: (signal: AbortSignal) => Promise<T>, options: WrapOptions<T>): Promise<WrapResult<T>> {
    // One native scan of a short string: the hit path's only addition.
    if (!isWellFormed(key)) return Promise.reject(keyError(key));
    return this.calls.wrap(key, compute, options);
  }

  /**
   * Deletes every entry of `namespace` (exactly that one: `clear('team')` leaves `team:eu`), or every
   * entry of the store when omitted, and empties the memory tiers in front of it: this process's always,
   * other processes' where the backend announces changes (Redis). Rejects with a `CacheBackendError`
   * (the backend's error as `cause`) when the store failed or cannot clear: unlike a read, nobody
   * else would notice that a clear did not happen.
   */
  async clear(namespace?: string): Promise<void> {
    if (namespace !== undefined) checkNamespace('core', 'namespace', namespace);
    const { backend } = this;
    if (!backend.clear) throw new CacheBackendError(backend.name, 'clear', undefined, 'this backend cannot clear: it has no clear() method');
    try {
      await backend.clear(namespace);
    } catch (err) {
      this.counters.errors++;
      const message = err instanceof Error ? err.message : String(err);
      throw new CacheBackendError(backend.name, 'clear', namespace, message, { cause: err });
    }
  }

  stats(): CacheStats {
    const { hits, misses, writes, errors } = this.counters;
    return { hits, misses, writes, errors, hitRate: hits + misses === 0 ? 0 : hits / (hits + misses) };
  }

  /** Whether the backend answers within the operation timeout; a failure is reported and answers false. */
  async ping(): Promise<boolean> {
    if (!this.backend.ping) return true;
    return (await this.guard.call('ping', undefined, () => this.backend.ping!())) === true;
  }

  /** Closes the backend; errors are reported, not thrown. Calls still waiting for another process's value stop waiting. */
  async close(): Promise<void> {
    this.calls.close();
    this.reader.clear();
    if (this.backend.close) await this.guard.call('close', undefined, () => this.backend.close!());
  }
}

function keyError(key: string): CacheConfigError {
  try {
    wellFormed('core', 'key', key);
  } catch (err) {
    return err as CacheConfigError;
  }
  return new CacheConfigError('core', 'key', 'is not a string');
}

/** Throws a `CacheConfigError` on `key` when it holds a lone surrogate (see key-space.ts). */
function checkKey(key: string): void {
  if (!isWellFormed(key)) throw keyError(key);
}

Object.defineProperty(Cache.prototype, CACHE_BRAND, { value: true });
