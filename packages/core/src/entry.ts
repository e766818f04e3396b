/** Version of the stored envelope; an entry of another version is treated as corrupt (a miss). */
export const ENTRY_FORMAT_VERSION = 1;

/** What every backend stores for a key: the value plus what TTL and `s-maxage` need. */
export interface CacheEntry<T = unknown> {
  /** Format version. */
  v: typeof ENTRY_FORMAT_VERSION;
  /** Created at, ms since the epoch. */
  c: number;
  /** Expires at, ms since the epoch; `null` for never. */
  e: number | null;
  /** The cached value. */
  d: T;
}

export function encodeEntry<T>(value: T, createdAt: number, expiresAt: number | null): string {
  return JSON.stringify({ v: ENTRY_FORMAT_VERSION, c: createdAt, e: expiresAt, d: value });
}

/** Parses a stored envelope; throws a plain Error saying what is wrong when it is not one. */
export function decodeEntry<T = unknown>(raw: string): CacheEntry<T> {
  const entry = JSON.parse(raw) as Partial<CacheEntry<T>> | null;
  if (entry === null || typeof entry !== 'object') throw new Error('entry is not an object');
  if (entry.v !== ENTRY_FORMAT_VERSION) throw new Error(`entry format version ${String(entry.v)} is not ${ENTRY_FORMAT_VERSION}`);
  if (typeof entry.c !== 'number' || !(entry.e === null || typeof entry.e === 'number') || !('d' in entry)) {
    throw new Error('entry lacks its created time, expiry or value');
  }
  return entry as CacheEntry<T>;
}

/** Remaining lifetime in ms (`null` for never); 0 or less means expired. */
export function remainingTtlMs(entry: CacheEntry, now: number): number | null {
  return entry.e === null ? null : entry.e - now;
}
