import { CacheConfigError } from './errors';
import { describe } from './validate';

// How keys split into namespaces, and which strings may be keys at all. Every backend keeps to it, so
// `clear(namespace)` and key identity mean the same on each.

// Node 20+ has String.prototype.isWellFormed (native, no allocation); the lib we compile against does not declare it.
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
// With the u flag a surrogate pair is one code point, so only a lone surrogate matches.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether `text` is well-formed UTF-16 (no lone surrogate). A lone surrogate has no UTF-8 form: Redis,
 * SQLite and object stores would store it as U+FFFD, so `'k\ud800'` and `'k\ufffd'` would be one key.
 */
export function isWellFormed(text: string): boolean {
  return nativeIsWellFormed ? nativeIsWellFormed.call(text) : !LONE_SURROGATE.test(text);
}

/** `text` itself, or a `CacheConfigError` naming `option` when it holds a lone surrogate. */
export function wellFormed(pkg: string, option: string, text: string): string {
  if (!isWellFormed(text)) {
    throw new CacheConfigError(
      pkg,
      option,
      `must not contain a lone surrogate (UTF-8 cannot hold it, so it would share its key with U+FFFD), got ${describe(text)}`,
    );
  }
  return text;
}

/** A namespace a key can be in: a non-empty, well-formed string. */
export function checkNamespace(pkg: string, option: string, namespace: unknown): string {
  if (typeof namespace !== 'string' || namespace === '') throw new CacheConfigError(pkg, option, `must be a non-empty string, got ${describe(namespace)}`);
  return wellFormed(pkg, option, namespace);
}

/**
 * The namespace of a key: what comes before its last `:` (a namespace may hold `:`, a hash never does),
 * or undefined for a key without one. `team:eu:abc` is in `team:eu`, never in `team`.
 */
export function namespaceOfKey(key: string): string | undefined {
  const split = key.lastIndexOf(':');
  return split < 0 ? undefined : key.slice(0, split);
}

/**
 * Whether `key` is one `clear(namespace)` deletes: any key when `namespace` is undefined, else a key
 * whose namespace is exactly `namespace`.
 */
export function isKeyInNamespace(key: string, namespace: string | undefined): boolean {
  if (namespace === undefined) return true;
  return (
    key.length > namespace.length && key.startsWith(namespace) && key.charCodeAt(namespace.length) === 58 /* : */ && !key.includes(':', namespace.length + 1)
  );
}
