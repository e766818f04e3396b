import { checkNamespace } from './key-space';
import type { CacheBackend, Embedder } from './backend';
import { BACKEND_OPTION_CHECKS, type BackendCacheOptions, type OptionCheck } from './backend-options';
import { DEFAULT_SUPPORTED_CALL_TYPES, normalizeCallType, type CallTypeName } from './call-types';
import { CacheConfigError, requiredOptionError } from './errors';
import { checkEmbedder, type EmbedFunction } from './semantic';
import type { DistributedLock } from './single-flight';
import { describe, positiveInteger, positiveNumber, timerMilliseconds, trueOrFalse } from './validate';

/** When the cache is consulted: always, or only for requests that ask with `cache: { 'use-cache': true }`. */
export const CacheMode = { default_on: 'default_on', default_off: 'default_off' } as const;
export type CacheMode = (typeof CacheMode)[keyof typeof CacheMode];

/** Where entries live. `azure_blob` and `valkey-semantic` (a Redis semantic cache on Valkey) are accepted as LiteLLM spells them. */
export type CacheType = 'local' | 'redis' | 'redis-semantic' | 'valkey-semantic' | 'qdrant-semantic' | 's3' | 'gcs' | 'azure-blob' | 'azure_blob' | 'disk';

/** Types that answer by meaning as well as by exact key: they need `similarityThreshold`. */
export const SEMANTIC_CACHE_TYPES: readonly CacheType[] = ['redis-semantic', 'valkey-semantic', 'qdrant-semantic'];

export type { RedisNode } from './backend-options';

/**
 * Options of `new Cache()`: LiteLLM's `Cache(...)` arguments in camelCase, plus a few of llmcache's own.
 * The shared ones are documented here; each backend package documents its own (`BackendCacheOptions`).
 */
export interface CacheOptions extends BackendCacheOptions {
  /**
   * Storage type; its package is loaded on demand (`redis` → `@llmcache/redis`, …). A backend from
   * another package takes `ExternalCacheOptions` instead (`type: '@acme/llmcache-dynamo'`).
   * @default 'local'
   */
  type?: CacheType;
  /** A backend instance to use instead of `type`. */
  backend?: CacheBackend;
  /**
   * Default entry lifetime in seconds; `null` for entries that never expire.
   * @default 600
   */
  ttl?: number | null;
  /** Prefixes every key as `namespace:hex`; caches in different namespaces never see each other. */
  namespace?: string;
  /**
   * `default_on`: every supported call reads and writes. `default_off`: only calls with `cache: { 'use-cache': true }`.
   * @default CacheMode.default_on
   */
  mode?: CacheMode;
  /**
   * Call types served from the cache; the `a*` names are aliases.
   * @default ['completion','acompletion','embedding','aembedding','transcription','atranscription','text_completion','atext_completion']
   */
  supportedCallTypes?: readonly CallTypeName[];
  /**
   * Longest wait for one backend operation, in ms; a slower one is abandoned as a miss (or a failed write) and reported.
   * At most `MAX_TIMER_MS` (about 24.8 days).
   * @default 2000
   */
  operationTimeoutMs?: number;
  /** Cross-process lock so that a miss is computed once across processes (see `DistributedLock`). */
  lock?: DistributedLock;
  /**
   * How long a caller that could not take `lock` waits for the winner's value before computing itself, in ms.
   * At most `MAX_TIMER_MS` (about 24.8 days).
   * @default 30000
   */
  lockWaitMs?: number;

  /** In-memory cache: most entries. @default 200 */
  maxSizeInMemory?: number;
  /** In-memory cache: most total bytes. @default 67108864 */
  maxBytesInMemory?: number;
  /** In-memory cache: largest entry stored, in KB. @default 1024 */
  maxSizePerItem?: number;

  /** Remote stores: keep hot entries in an in-process tier in front of the store. @default true */
  memoryTier?: boolean;
  /** Semantic caches: least cosine similarity that counts as a hit, in (0, 1]. Required for semantic types. */
  similarityThreshold?: number;
  /**
   * Semantic caches: the embedder, instead of an embedding model by name: an object with
   * `embed(texts) => Promise<vectors>`, or that function itself. Vectors may have any length, the same for all.
   */
  embedder?: Embedder | EmbedFunction;
}

const wholeNumber: OptionCheck = (option, value) => void positiveInteger('core', option, value);
const positive: OptionCheck = (option, value) => void positiveNumber('core', option, value);
const timer: OptionCheck = (option, value) => void timerMilliseconds('core', option, value);
const boolean: OptionCheck = (option, value) => void trueOrFalse('core', option, value);

/** The plain type of each shared option; a backend's own options are checked by `BACKEND_OPTION_CHECKS`. */
const SHARED_CHECKS: Record<Exclude<keyof CacheOptions, keyof BackendCacheOptions>, OptionCheck> = {
  type: (option, value) => {
    if (!CACHE_TYPES.includes(value as CacheType) && !isExternalCacheType(value)) {
      throw new CacheConfigError('core', option, `must be one of ${CACHE_TYPES.join(', ')} or a scoped package name (@scope/name), got ${describe(value)}`);
    }
  },
  backend: (option, value) => {
    const b = value as Partial<CacheBackend> | null;
    if (typeof b !== 'object' || b === null || typeof b.get !== 'function' || typeof b.set !== 'function' || typeof b.delete !== 'function') {
      throw new CacheConfigError('core', option, 'must be a CacheBackend (an object with get, set and delete)');
    }
  },
  ttl: (option, value) => {
    if (value !== null) positive(option, value);
  },
  namespace: (option, value) => void checkNamespace('core', option, value),
  mode: (option, value) => {
    if (value !== CacheMode.default_on && value !== CacheMode.default_off) {
      throw new CacheConfigError('core', option, `must be CacheMode.default_on or CacheMode.default_off, got ${describe(value)}`);
    }
  },
  supportedCallTypes: (option, value) => {
    if (!Array.isArray(value)) throw new CacheConfigError('core', option, 'must be an array of call types');
    for (const name of value) {
      if (typeof name !== 'string' || normalizeCallType(name) === undefined) {
        throw new CacheConfigError('core', option, `unknown call type ${describe(name)}; known: ${DEFAULT_SUPPORTED_CALL_TYPES.join(', ')}`);
      }
    }
  },
  operationTimeoutMs: timer,
  lock: (option, value) => {
    if (typeof (value as { acquire?: unknown } | null)?.acquire !== 'function') {
      throw new CacheConfigError('core', option, 'must be a DistributedLock (an object with acquire)');
    }
  },
  lockWaitMs: timer,
  maxSizeInMemory: wholeNumber,
  maxBytesInMemory: wholeNumber,
  maxSizePerItem: positive,
  memoryTier: boolean,
  similarityThreshold: (option, value) => {
    if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
      throw new CacheConfigError('core', option, `must be a number in (0, 1], got ${describe(value)}`);
    }
  },
  embedder: (option, value) => {
    checkEmbedder('core', option, value);
  },
};

const CHECKS: Record<keyof CacheOptions, OptionCheck> = { ...SHARED_CHECKS, ...BACKEND_OPTION_CHECKS };

/** Every option `new Cache()` accepts. */
export const CACHE_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(CHECKS));

export const CACHE_TYPES: readonly CacheType[] = [
  'local',
  'redis',
  'redis-semantic',
  'valkey-semantic',
  'qdrant-semantic',
  's3',
  'gcs',
  'azure-blob',
  'azure_blob',
  'disk',
];

/** Throws `CacheConfigError` naming the first unknown, mistyped or out-of-range option. `undefined` means "not given". */
export function validateCacheOptions(options: unknown): CacheOptions {
  // ExternalCacheOptions too; typed as CacheOptions, which is all core reads of them.
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new CacheConfigError('core', 'options', `must be an object, got ${describe(options)}`);
  }
  // An external backend defines options core does not know: they pass to its factory unchecked.
  const external = isExternalCacheType((options as { type?: unknown }).type);
  for (const [name, value] of Object.entries(options)) {
    // Own names only: `constructor`, `toString` or an own `__proto__` key are unknown options, not Object's members.
    const check = Object.hasOwn(CHECKS, name) ? (CHECKS as Record<string, OptionCheck>)[name] : undefined;
    if (!check && external) continue;
    if (!check) throw new CacheConfigError('core', name, `is not a Cache option${suggest(name)}`);
    if (value !== undefined) check(name, value);
  }
  const valid = options as CacheOptions;
  if (valid.backend && valid.type) throw new CacheConfigError('core', 'backend', 'give either type or backend, not both');
  if (valid.embedder && !valid.backend && !external && !SEMANTIC_CACHE_TYPES.includes(valid.type ?? 'local')) {
    throw new CacheConfigError('core', 'embedder', `is for semantic cache types (${SEMANTIC_CACHE_TYPES.join(', ')}), not ${valid.type ?? 'local'}`);
  }
  if (valid.type && SEMANTIC_CACHE_TYPES.includes(valid.type) && valid.similarityThreshold === undefined) {
    throw requiredOptionError('core', 'similarityThreshold', `type "${valid.type}" needs the least cosine similarity that counts as a hit, e.g. 0.8`);
  }
  return valid;
}

function suggest(name: string): string {
  // Catch LiteLLM's snake_case names, the most likely slip for users moving over.
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return camel !== name && Object.hasOwn(CHECKS, camel) ? `; did you mean ${camel}?` : '';
}

/**
 * A backend type from outside this repository, named like a scoped npm package
 * (`@acme/llmcache-dynamo`). The scope keeps such names apart from the built-in types, so a misspelt
 * built-in (`reddis`) is still an error rather than a package to look for.
 */
export type ExternalCacheType = `@${string}/${string}`;

/**
 * Options of `new Cache({ type })` for an external type: the shared `Cache` options, which core checks
 * as always, plus whatever the backend defines, which core passes to its factory unchecked (the
 * backend validates its own, as the built-in packages do).
 */
export interface ExternalCacheOptions extends Omit<CacheOptions, 'type' | 'backend'> {
  /** The package that exports `createCacheBackend(options)`, or a name given to `registerCacheBackend`. */
  type: ExternalCacheType;
  /** The backend's own options. */
  [option: string]: unknown;
}

const SCOPED_NAME = /^@[a-z0-9][a-z0-9._~-]*\/[a-z0-9][a-z0-9._~-]*$/;

/** Whether `type` names an external backend (a scoped package name), as opposed to a built-in type. */
export function isExternalCacheType(type: unknown): type is ExternalCacheType {
  return typeof type === 'string' && SCOPED_NAME.test(type);
}
