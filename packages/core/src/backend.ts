import type { DistributedLock } from './single-flight';

/** A value or a promise of it: in-process backends answer synchronously and skip the timeout machinery. */
export type MaybePromise<T> = T | Promise<T>;

export function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** One write of a batch. */
export interface BackendEntry {
  key: string;
  value: string;
  /** Lifetime in ms; `null` for no expiry. */
  ttlMs: number | null;
}

/**
 * A storage adapter. It stores opaque strings (encoded entries); `Cache` owns encoding, expiry checks,
 * timeouts and error handling, so an adapter may simply throw on failure.
 */
export interface CacheBackend {
  /** Short name for errors and events: `memory`, `disk`, `redis`, … */
  readonly name: string;
  /** The stored string, or undefined when absent. An empty string is a stored value. */
  get(key: string): MaybePromise<string | undefined>;
  /**
   * Stores `value`; `ttlMs` is a hint to evict (expiry is enforced by `Cache` whatever the store does).
   * Answers `false` when it declines the entry (e.g. over a size limit) and keeps no older value under `key`.
   */
  set(key: string, value: string, ttlMs: number | null): MaybePromise<void | boolean>;
  delete(key: string): MaybePromise<void>;
  /** Batch read, in key order; optional (Cache falls back to parallel `get`). */
  getMany?(keys: readonly string[]): MaybePromise<(string | undefined)[]>;
  /** Batch write; optional (Cache falls back to parallel `set`). */
  setMany?(entries: readonly BackendEntry[]): MaybePromise<void | boolean>;
  /** Releases connections and handles. */
  close?(): MaybePromise<void>;
  /** Whether the store answers now; optional (`Cache.ping()` counts a backend without it as healthy). */
  ping?(): MaybePromise<boolean>;
  /** The cross-process lock `Cache` uses for single-flight when its `lock` option is not given. */
  readonly lock?: DistributedLock;
}

/** Turns texts into vectors, for semantic caches. */
export interface Embedder {
  embed(texts: readonly string[]): Promise<number[][]>;
}

/** A semantic match: the stored value whose prompt embedding is closest to the query. */
export interface SemanticMatch {
  /** The stored string (an encoded entry). */
  value: string;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
}

/**
 * A store that answers by meaning rather than exact key: used for completions when a semantic cache is
 * configured. The exact-key `CacheBackend` methods still serve every other call type.
 */
export interface SemanticBackend extends CacheBackend {
  /** The best match in `namespace` at or above `threshold`, or undefined. */
  findSimilar(prompt: string, options: { namespace?: string; threshold: number }): Promise<SemanticMatch | undefined>;
  /** Stores `value` under `key` with the embedding of `prompt`. */
  setWithPrompt(key: string, prompt: string, value: string, ttlMs: number | null, options: { namespace?: string }): Promise<void>;
}

export function isSemanticBackend(backend: CacheBackend): backend is SemanticBackend {
  return typeof (backend as Partial<SemanticBackend>).findSimilar === 'function';
}
