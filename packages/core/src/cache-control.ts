import { checkNamespace } from './key-space';
import { CacheConfigError } from './errors';
import { describe } from './validate';

/** Per-request cache control, as LiteLLM's `cache={...}` on a call. */
export interface CacheControl {
  /** This entry's lifetime in seconds; `0` means do not store. */
  ttl?: number;
  /** Serve only an entry younger than this many seconds. */
  's-maxage'?: number;
  /** Skip the lookup; still store the fresh answer. */
  'no-cache'?: boolean;
  /** Do not store the answer. */
  'no-store'?: boolean;
  /** Overrides the cache's namespace for this call. */
  namespace?: string;
  /** With `mode: default_off`, opts this call in; `false` opts it out in either mode. */
  'use-cache'?: boolean;
}

/** What a call may do with the cache once its controls, the cache's mode and call types are applied. */
export interface ResolvedControl {
  read: boolean;
  write: boolean;
  /** Lifetime for a write, ms; `null` for never. */
  ttlMs: number | null;
  /** Oldest entry a read accepts, ms; undefined for any age. */
  maxAgeMs: number | undefined;
  namespace: string | undefined;
}

const CONTROL_NAMES = new Set(['ttl', 's-maxage', 'no-cache', 'no-store', 'namespace', 'use-cache']);

/** Validates a request's `cache` object; throws `CacheConfigError` naming `cache.<field>`. */
export function validateCacheControl(control: unknown): CacheControl {
  if (control === undefined || control === null) return {};
  if (typeof control !== 'object' || Array.isArray(control)) {
    throw new CacheConfigError('core', 'cache', `must be an object of cache controls, got ${describe(control)}`);
  }
  const c = control as Record<string, unknown>;
  for (const name of Object.keys(c)) {
    if (!CONTROL_NAMES.has(name)) {
      throw new CacheConfigError('core', `cache.${name}`, `is not a cache control; known: ${[...CONTROL_NAMES].join(', ')}`);
    }
  }
  for (const name of ['ttl', 's-maxage'] as const) {
    const v = c[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new CacheConfigError('core', `cache.${name}`, `must be a number of seconds, 0 or more, got ${describe(v)}`);
    }
  }
  for (const name of ['no-cache', 'no-store', 'use-cache'] as const) {
    const v = c[name];
    if (v !== undefined && typeof v !== 'boolean') {
      throw new CacheConfigError('core', `cache.${name}`, `must be a boolean, got ${describe(v)}`);
    }
  }
  if (c.namespace !== undefined) checkNamespace('core', 'cache.namespace', c.namespace);
  return c;
}
