import type { ResolvedControl } from './cache-control';
import type { CacheBackendError } from './errors';
import type { SemanticQuery } from './semantic';

// The shapes `Cache` takes and gives, apart so that its parts (reads, the guarded backend, wrap) share
// them without importing one another.

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
   * The caller's time budget in ms (its request timeout): a caller waiting for another process's
   * computation of the same miss (see `Cache`'s `lock`) stops waiting by then and computes itself.
   * @default no limit but `lockWaitMs`
   */
  timeoutMs?: number | undefined;
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

/** The running totals behind `stats()`, shared by the parts of the cache that count. */
export type CacheCounters = Omit<CacheStats, 'hitRate'>;
