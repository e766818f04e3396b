const PREFIX = '[llmcache]';

/** Options every llmcache error accepts; `cause` is the underlying error, kept as-is. */
export interface LlmcacheErrorOptions {
  cause?: unknown;
}

/** Base class of every error llmcache throws; `name` is always the concrete class name. */
export class LlmcacheError extends Error {
  constructor(pkg: string, message: string, options: LlmcacheErrorOptions = {}) {
    super(`${PREFIX}[${pkg}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A cache option or per-request cache control is missing, unknown, of the wrong type or out of range. */
export class CacheConfigError extends LlmcacheError {
  /** The offending option, e.g. `ttl`, `cache.s-maxage` or `s3BucketName`. */
  readonly option: string;
  /** What is wrong with it, without the prefix. */
  readonly detail: string;
  constructor(pkg: string, option: string, message: string, options?: LlmcacheErrorOptions) {
    super(pkg, `${option}: ${message}`, options);
    this.option = option;
    this.detail = message;
  }
}

/** A backend operation failed, timed out or returned an entry that does not parse. Emitted, never thrown to callers of `Cache`. */
export class CacheBackendError extends LlmcacheError {
  /** Backend name, e.g. `memory`, `disk`, `redis`. */
  readonly backend: string;
  /** What was being done: `get`, `set`, `delete`, `decode`, `close`, … */
  readonly operation: string;
  /** The cache key involved, when there is one. */
  readonly key: string | undefined;
  constructor(backend: string, operation: string, key: string | undefined, message: string, options?: LlmcacheErrorOptions) {
    super('core', `${backend} ${operation}${key === undefined ? '' : ` "${key}"`}: ${message}`, options);
    this.backend = backend;
    this.operation = operation;
    this.key = key;
  }
}

/** The one way packages report a missing required option. */
export function requiredOptionError(pkg: string, option: string, hint?: string): CacheConfigError {
  return new CacheConfigError(pkg, option, `is required${hint ? ` (${hint})` : ''}`);
}

/** Returns `value` when it is present, else throws the required-option error for `option`. */
export function requireOption<T>(pkg: string, option: string, value: T | undefined | null, hint?: string): T {
  if (value === undefined || value === null || value === '') throw requiredOptionError(pkg, option, hint);
  return value;
}
