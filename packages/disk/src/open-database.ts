import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CacheConfigError } from '@llmcache/core';
import { SCHEMA, SCHEMA_VERSION } from './schema';

/**
 * How long a statement waits for another process's lock before SQLite gives up. The wait blocks the
 * event loop (better-sqlite3 is synchronous), so it is kept short.
 */
export const BUSY_TIMEOUT_MS = 1000;

/** How long set-up keeps retrying while other processes hold the file, e.g. all starting at once. */
const SETUP_DEADLINE_MS = 10_000;

export interface OpenedDatabase<T> {
  db: Database.Database;
  file: string;
  prepared: T;
}

/**
 * Opens (creating when missing) `<dir>/cache.db` in WAL mode with the current schema, then runs `prepare`
 * on it. Anything that keeps the folder or file from being a working cache is a `CacheConfigError` on
 * `diskCacheDir` naming the path, with SQLite's or the file system's error as `cause`.
 */
export function openDatabase<T>(dir: string, prepare: (db: Database.Database) => T): OpenedDatabase<T> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw setupError(`cannot create the folder ${dir}`, err);
  }
  const file = join(dir, 'cache.db');
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    const opened = db;
    const prepared = retryWhileLocked(() => {
      setUp(opened);
      return prepare(opened);
    });
    return { db, file, prepared };
  } catch (err) {
    db?.close();
    throw setupError(`cannot use ${file} as the cache database`, err);
  }
}

function setUp(db: Database.Database): void {
  // Before anything that locks: with the default of 0, a process meeting another's lock fails at once.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // WAL is recorded in the file, so this only changes anything for the first opener; for the others
  // it is a read of the header. It lets readers and one writer work at once across processes.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if ((db.pragma('user_version', { simple: true }) as number) >= SCHEMA_VERSION) return;
  // IMMEDIATE takes the write lock up front (waiting for it), so two first openers run the schema one
  // after the other instead of both reading an empty file and colliding on the upgrade to writer.
  db.transaction(() => db.exec(SCHEMA)).immediate();
}

/**
 * Runs `fn` again while SQLite answers BUSY or LOCKED: some of those come without waiting out the busy
 * timeout (to avoid a deadlock when two connections both want to become the writer, or while another
 * process recovers the WAL), and at start-up they only mean another process is setting up the same file.
 */
function retryWhileLocked<T>(fn: () => T): T {
  const deadline = Date.now() + SETUP_DEADLINE_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      if (!isLocked(err) || Date.now() >= deadline) throw err;
      // Jittered so that processes that collided do not collide again in step.
      sleep(Math.min(5 * 2 ** attempt, 200) * (0.5 + Math.random()));
    }
  }
}

function isLocked(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

/** Set-up runs in a synchronous constructor, so its pauses are synchronous too. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function setupError(what: string, err: unknown): CacheConfigError {
  const reason = err instanceof Error ? err.message : String(err);
  return new CacheConfigError('disk', 'diskCacheDir', `${what}: ${reason}`, { cause: err });
}
