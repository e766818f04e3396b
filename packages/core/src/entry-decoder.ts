import { LRUCache } from 'lru-cache';
import { decodeEntry, type CacheEntry } from './entry';

/** Stored texts longer than this are parsed on every read: rare, and a copy of them is no longer cheap. */
const MAX_MEMO_TEXT = 64 * 1024;

/**
 * Parsing the stored text is most of what a hit costs. The decoder keeps recent entries parsed, by key,
 * and reuses one only when the text read now is exactly the text it was parsed from; every read gets
 * its own deep copy, which costs a fraction of parsing again, so no caller can change what another reads.
 */
export class EntryDecoder {
  private readonly parsed = new LRUCache<string, { text: string; entry: CacheEntry }>({
    max: 512,
    maxSize: 8 * 1024 * 1024,
    sizeCalculation: ({ text }) => text.length || 1,
  });

  /** The entry stored under `key` as `text`, for the caller alone; throws as `decodeEntry` does on a corrupt one. */
  decode<T>(key: string, text: string): CacheEntry<T> {
    const known = this.parsed.get(key);
    // Comparing the text costs a fraction of hashing it (a key of its own would need that), let alone parsing it.
    let entry = known?.text === text ? known.entry : undefined;
    if (entry === undefined) {
      entry = decodeEntry(text);
      if (text.length <= MAX_MEMO_TEXT) this.parsed.set(key, { text, entry });
    }
    return { v: entry.v, c: entry.c, e: entry.e, d: copyJson(entry.d) as T };
  }

  clear(): void {
    this.parsed.clear();
  }
}

/** A deep copy of a value JSON.parse made: plain objects, arrays and primitives only. */
function copyJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyJson(value[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const item = copyJson((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own key; an assignment would set the prototype instead.
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}
