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
  /**
   * Deletes every entry of `namespace` (a key's namespace is what comes before its last `:`, so `team`
   * never takes `team:eu`), or every entry of the store when omitted; memory tiers in front of it, in
   * this process and in others where the store can tell them, drop theirs too. Optional, but
   * `Cache.clear()` rejects on a backend without it.
   */
  clear?(namespace?: string): MaybePromise<unknown>;
  /** Releases connections and handles. */
  close?(): MaybePromise<void>;
  /** Whether the store answers now; optional (`Cache.ping()` counts a backend without it as healthy). */
  ping?(): MaybePromise<boolean>;
  /** The cross-process lock `Cache` uses for single-flight when its `lock` option is not given. */
  readonly lock?: DistributedLock;
  /**
   * Set when `get` and `getMany` fail by themselves after at most this many ms (a client's own command
   * timeout): `Cache` then runs no timer of its own for reads, so long as this is within its `operationTimeoutMs`.
   */
  readonly readTimeoutMs?: number | undefined;
}

/** Turns texts into vectors, for semantic caches. */
export interface Embedder {
  /** One vector per text, in order; every vector of one embedder has the same length. */
  embed(texts: readonly string[], options?: { signal?: AbortSignal | undefined }): Promise<number[][]>;
}

/**
 * What must match exactly, besides the meaning of the prompt, for a semantic hit: the namespace and a
 * scope (a hash of the call type, the model identity and every output-affecting param except the
 * messages). Entries of another scope or namespace are never candidates.
 */
export interface SemanticScope {
  namespace?: string | undefined;
  /** Hex digest; equal scopes mean "the same question apart from its wording". */
  scope: string;
}

/** A semantic match: the stored value whose prompt embedding is closest to the query. */
export interface SemanticMatch {
  /** The stored string (an encoded entry). */
  value: string;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
  /** The exact key the matched entry was stored under. */
  key: string;
}

/**
 * A store that also answers by meaning: `Cache` tries the exact key first, then `findSimilar`. The
 * exact-key `CacheBackend` methods still serve every call, so an exact hit never costs an embedding.
 */
export interface SemanticBackend extends CacheBackend {
  /**
   * The model group (or `provider/model`) the backend embeds with, when it was configured by name
   * (`redisSemanticCacheEmbeddingModel`, …): the router that owns the cache supplies the embedder.
   */
  readonly embeddingModel?: string | undefined;
  /** Supplies or replaces the embedder; a backend without one answers `findSimilar` with undefined. */
  setEmbedder(embedder: Embedder): void;
  /** The closest entry of the same scope at or above `threshold`, or undefined. Expired entries never match. */
  findSimilar(prompt: string, options: SemanticScope & { threshold: number; signal?: AbortSignal | undefined }): Promise<SemanticMatch | undefined>;
  /** Stores `value` under `key` (readable by `get`) and indexes it by the embedding of `prompt` in its scope. */
  setWithPrompt(key: string, prompt: string, value: string, ttlMs: number | null, options: SemanticScope): Promise<void>;
}

export function isSemanticBackend(backend: CacheBackend): backend is SemanticBackend {
  return typeof (backend as Partial<SemanticBackend>).findSimilar === 'function';
}
