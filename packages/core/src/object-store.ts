import type { CacheBackend } from './backend';
import { CacheConfigError } from './errors';
import { describe, positiveInteger, timerMilliseconds } from './validate';

/** An object read back from a store: its text and the user metadata written with it. */
export interface StoredObject {
  body: string;
  metadata: Readonly<Record<string, string | undefined>>;
}

/**
 * The few calls an object store (S3, GCS, Azure Blob, …) must answer; `ObjectStoreBackend` adds object
 * names, expiry, integrity checks and timeouts on top. Every call gets a signal that aborts the request
 * when its time is up or the backend closes.
 */
export interface ObjectStore {
  /** Short name for errors and events: `s3`, `gcs`, `azure-blob`. */
  readonly name: string;
  /** The object, or undefined when there is none. */
  read(name: string, signal: AbortSignal): Promise<StoredObject | undefined>;
  /** Writes the whole body in one request (never a stream), so a reader sees the old object or the new one. */
  write(name: string, body: string, metadata: Record<string, string>, signal: AbortSignal): Promise<void>;
  /** Removes the object; a missing one is not an error. */
  remove(name: string, signal: AbortSignal): Promise<void>;
  /**
   * One page of the names that start with `prefix`, and the token of the next page (undefined on the
   * last). Optional: without it, `clear()` fails.
   */
  list?(prefix: string, token: string | undefined, signal: AbortSignal): Promise<{ names: string[]; token?: string | undefined }>;
  /** Whether the store answers now (e.g. the bucket exists and the credentials work). */
  ping?(signal: AbortSignal): Promise<boolean>;
  /** Releases the client's sockets. */
  close?(): void | Promise<void>;
}

export interface ObjectStoreBackendOptions {
  store: ObjectStore;
  /** Package name for errors, e.g. `s3`. */
  pkg: string;
  /**
   * Folder every object goes under, e.g. `llmcache/prod`; empty for the bucket's root.
   * @default ''
   */
  prefix?: string | undefined;
  /** The user-facing option that set `prefix`, named in errors (`s3Path`, `gcsPath`, `azurePath`). @default 'prefix' */
  prefixOption?: string | undefined;
  /**
   * Longest wait for one request, in ms; the request is then aborted, so a slow store never piles up
   * sockets behind the `Cache`'s own operation timeout.
   * @default 2000
   */
  requestTimeoutMs?: number | undefined;
  /**
   * Most reads of one batch in flight at once.
   * @default 16
   */
  batchConcurrency?: number | undefined;
}

// Plain lowercase letters only: S3 lowercases metadata names, Azure requires C# identifiers (no
// hyphens), and some proxies drop headers with underscores.
/** Metadata name of the expiry time (ms since the epoch); absent for entries that never expire. */
export const EXPIRES_AT_METADATA = 'llmcacheexpiresat';
/** Metadata name of the body's length in UTF-16 code units: a body that does not match was cut short. */
export const LENGTH_METADATA = 'llmcachelength';

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Checks a user-given folder: relative, no `.`/`..` or empty segments, no control characters or backslashes. */
export function validateObjectPrefix(pkg: string, option: string, prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string') throw new CacheConfigError(pkg, option, `must be a string, got ${describe(prefix)}`);
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const problem = CONTROL_CHARACTERS.test(trimmed)
    ? 'must not contain control characters'
    : trimmed.includes('\\')
      ? 'must not contain backslashes'
      : trimmed.startsWith('/')
        ? 'must be relative to the bucket (no leading "/")'
        : trimmed.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
          ? 'must not contain empty, "." or ".." segments'
          : undefined;
  if (problem) throw new CacheConfigError(pkg, option, `${problem}, got ${JSON.stringify(prefix)}`);
  return trimmed;
}

/** One path segment that can never climb out of its folder: anything outside `[A-Za-z0-9._-]` is percent-encoded, and so are `.` and `..`. */
function safeSegment(text: string): string {
  if (text === '.' || text === '..') return text.replace(/\./g, '%2E');
  // Per code point (the u flag): encoding each half of a surrogate pair alone would write both as
  // U+FFFD, so 'ns😀' and 'ns\ufffd\ufffd' would be one folder.
  return text.replace(/[^A-Za-z0-9._-]/gu, (c) =>
    Array.from(new TextEncoder().encode(c), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** `prefix/namespace/hash` for a `namespace:hash` key, `prefix/hash` for a key without a namespace. */
export function objectNameOf(prefix: string, key: string): string {
  const split = key.lastIndexOf(':');
  const name = split < 0 ? safeSegment(key) : `${safeSegment(key.slice(0, split))}/${safeSegment(key.slice(split + 1))}`;
  return prefix ? `${prefix}/${name}` : name;
}

/**
 * A `CacheBackend` over an object store. The expiry travels with the object as metadata: an expired
 * object is never served and is removed when met, so TTLs hold on stores without expiry of their own.
 */
export class ObjectStoreBackend implements CacheBackend {
  readonly name: string;
  readonly prefix: string;
  private readonly store: ObjectStore;
  private readonly timeoutMs: number;
  private readonly batchConcurrency: number;
  private readonly closing = new AbortController();
  /** Per object name, the removals made and not yet settled; a write made after them waits for them (see `set`). */
  private readonly removals = new Map<string, Promise<void>>();

  constructor(options: ObjectStoreBackendOptions) {
    this.store = options.store;
    this.name = options.store.name;
    this.prefix = validateObjectPrefix(options.pkg, options.prefixOption ?? 'prefix', options.prefix);
    this.timeoutMs = timerMilliseconds(options.pkg, 'requestTimeoutMs', options.requestTimeoutMs ?? 2000);
    this.batchConcurrency = positiveInteger(options.pkg, 'batchConcurrency', options.batchConcurrency ?? 16);
  }

  /** The object name a key is stored under. */
  objectName(key: string): string {
    return objectNameOf(this.prefix, key);
  }

  async get(key: string): Promise<string | undefined> {
    const name = this.objectName(key);
    const found = await this.request((signal) => this.store.read(name, signal));
    if (!found) return undefined;
    const expiresAt = found.metadata[EXPIRES_AT_METADATA];
    if (expiresAt !== undefined && Number(expiresAt) <= Date.now()) {
      // Met expired: remove it so the bucket does not keep it forever; a failure here changes nothing for the caller.
      this.remove(name).catch(() => undefined);
      return undefined;
    }
    const length = found.metadata[LENGTH_METADATA];
    if (length !== undefined && Number(length) !== found.body.length) {
      this.remove(name).catch(() => undefined);
      // `Cache` turns a throw into a reported miss: a partial object is never served.
      throw new Error(`object "${name}" holds ${found.body.length} of the ${length} characters written: it is partial`);
    }
    return found.body;
  }

  /**
   * Waits first for a removal of the same object made before it: requests on different sockets can land
   * in any order, and a removal nobody waits for (an expired or damaged object met by a read, or `Cache`
   * dropping a corrupt entry) must not land after this write and delete the fresh object. The wait
   * counts against the request's timeout.
   */
  async set(key: string, value: string, ttlMs: number | null): Promise<void> {
    const metadata: Record<string, string> = { [LENGTH_METADATA]: String(value.length) };
    if (ttlMs !== null) metadata[EXPIRES_AT_METADATA] = String(Date.now() + ttlMs);
    const name = this.objectName(key);
    await this.request(async (signal) => {
      const removal = this.removals.get(name);
      if (removal) {
        await removal;
        signal.throwIfAborted();
      }
      await this.store.write(name, value, metadata, signal);
    });
  }

  async delete(key: string): Promise<void> {
    await this.remove(this.objectName(key));
  }

  private remove(name: string): Promise<void> {
    const removal = this.request((signal) => this.store.remove(name, signal));
    const earlier = this.removals.get(name);
    const settled = Promise.all([earlier, removal.catch(() => undefined)]).then(() => undefined);
    this.removals.set(name, settled);
    void settled.then(() => {
      if (this.removals.get(name) === settled) this.removals.delete(name);
    });
    return removal;
  }

  /**
   * Removes the objects of exactly `namespace` (the folder `prefix/namespace/`, which holds no other
   * namespace's: a `:` in a namespace is percent-encoded), or every object under `prefix` when omitted.
   * With no `prefix`, `clear()` refuses rather than empty a bucket that may hold objects of others.
   * Each page listed and each removal is one request under `requestTimeoutMs`.
   */
  async clear(namespace?: string): Promise<void> {
    const { store } = this;
    if (!store.list) throw new Error(`${this.name} cannot list objects, so it cannot clear`);
    if (namespace === undefined && this.prefix === '') {
      throw new Error(`clear() of every entry needs a folder of the cache's own: at the bucket's root it would remove objects that are not entries`);
    }
    // `objectNameOf` of a key with an empty hash is the namespace's folder, with its trailing `/`.
    const folder = namespace === undefined ? `${this.prefix}/` : objectNameOf(this.prefix, `${namespace}:`);
    let token: string | undefined;
    do {
      const page = await this.request((signal) => store.list!(folder, token, signal));
      token = page.token;
      // Only the entries right in the folder: nothing of ours is deeper, so nothing deeper is ours to remove.
      const names = namespace === undefined ? page.names : page.names.filter((name) => !name.slice(folder.length).includes('/'));
      await this.inParallel(names.length, (i) => this.remove(names[i]!));
    } while (token !== undefined);
  }

  /** Reads in parallel, at most `batchConcurrency` at once; an object store has no multi-get. */
  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    const values = new Array<string | undefined>(keys.length);
    await this.inParallel(keys.length, async (i) => {
      values[i] = await this.get(keys[i]!);
    });
    return values;
  }

  /** Runs `op(0)` … `op(count - 1)`, at most `batchConcurrency` at once. */
  private async inParallel(count: number, op: (i: number) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < count) await op(next++);
    };
    await Promise.all(Array.from({ length: Math.min(this.batchConcurrency, count) }, worker));
  }

  async ping(): Promise<boolean> {
    if (!this.store.ping) return true;
    try {
      return await this.request((signal) => this.store.ping!(signal));
    } catch {
      return false;
    }
  }

  /** Aborts every request in flight and releases the client. */
  async close(): Promise<void> {
    this.closing.abort(new Error(`${this.name} backend closed`));
    await this.store.close?.();
  }

  /**
   * Runs one request with a signal that aborts after `requestTimeoutMs` or on `close()`, and is let go
   * when the request ends: its timer is cleared, so an SDK's listeners on it do not outlive the request.
   */
  private async request<T>(op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const closing = this.closing.signal;
    const onClose = () => controller.abort(closing.reason);
    if (closing.aborted) onClose();
    else closing.addEventListener('abort', onClose, { once: true });
    const timer = setTimeout(
      () => controller.abort(new DOMException(`request timeout: no answer within ${this.timeoutMs} ms`, 'TimeoutError')),
      this.timeoutMs,
    );
    try {
      return await op(controller.signal);
    } finally {
      clearTimeout(timer);
      closing.removeEventListener('abort', onClose);
    }
  }
}
