import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { isKeyInNamespace, type BackendEntry, type CacheBackend } from '@llmcache/core';
import { positiveInteger, nonEmptyString } from '@llmcache/core/internal';
import { openDatabase } from './open-database';
import type { DiskBackendOptions } from './options';

/** Expired entries one automatic sweep deletes at most, so that a mass expiry never stalls one write. */
const EXPIRED_BATCH = 1000;
/** Keys one step of `clear` reads and deletes at most. */
const CLEAR_BATCH = 1000;
/** Oldest entries read at most per step while trimming to the bound; steps start at 1 and grow to it. */
const TRIM_BATCH = 256;

type Statements = ReturnType<typeof prepareStatements>;

/**
 * Entries in one SQLite database in WAL mode: every write is one atomic transaction, so a reader in this
 * or another process sees a whole entry or none, and a crash mid-write leaves the previous value intact.
 * The bytes stored are kept in a one-row total (see schema.ts), so the size bound costs the same however
 * large the table grows: only the oldest entries past the bound are ever read, through their index.
 */
export class DiskBackend implements CacheBackend {
  readonly name = 'disk';
  readonly file: string;
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private readonly sweepEvery: number;
  private writesSinceSweep = 0;
  private readonly statements: Statements;
  private readonly writeTransaction: Database.Transaction<(entries: readonly BackendEntry[], sweepDue: boolean) => boolean>;

  /** Throws a `CacheConfigError` on `diskCacheDir` when the folder or its database cannot be used. */
  constructor(options: DiskBackendOptions = {}) {
    const dir = resolve(nonEmptyString('disk', 'diskCacheDir', options.dir ?? '.llmcache'));
    this.maxBytes = positiveInteger('disk', 'diskCacheMaxBytes', options.maxBytes ?? 1024 ** 3);
    this.sweepEvery = positiveInteger('disk', 'sweepEvery', options.sweepEvery ?? 100);
    const { db, file, prepared } = openDatabase(dir, prepareStatements);
    this.db = db;
    this.file = file;
    this.statements = prepared;
    this.writeTransaction = db.transaction((entries, sweepDue) => this.writeEntries(entries, sweepDue));
  }

  get(key: string): string | undefined {
    return this.statements.get.get(key, Date.now())?.value;
  }

  set(key: string, value: string, ttlMs: number | null): boolean {
    return this.write([{ key, value, ttlMs }]);
  }

  delete(key: string): void {
    this.statements.delete.run(key);
  }

  getMany(keys: readonly string[]): (string | undefined)[] {
    const now = Date.now();
    return keys.map((key) => this.statements.get.get(key, now)?.value);
  }

  setMany(entries: readonly BackendEntry[]): boolean {
    return this.write(entries);
  }

  /**
   * Deletes the entries of exactly `namespace` (every entry when omitted): the keys from `namespace:` up
   * to `namespace;` (`:` sorts just before `;`) are read a page at a time through the primary key, and
   * those with no further `:` go (`team` never takes `team:eu`). Each page is its own transaction, so
   * other processes get the lock in between.
   */
  clear(namespace?: string): void {
    const from = namespace === undefined ? '' : `${namespace}:`;
    const to = namespace === undefined ? undefined : `${namespace};`;
    const deletePage = this.db.transaction((keys: string[]) => {
      for (const key of keys) this.statements.delete.run(key);
    });
    deletePage.immediate([from]); // the page query starts after it
    for (let after = from; ;) {
      const page = (to === undefined ? this.statements.keysAfter.all(after, CLEAR_BATCH) : this.statements.keysBetween.all(after, to, CLEAR_BATCH)).map(
        (row) => row.key,
      );
      if (page.length === 0) return;
      deletePage.immediate(page.filter((key) => isKeyInNamespace(key, namespace)));
      after = page[page.length - 1]!;
    }
  }

  /** Removes every expired entry and trims to `maxBytes`; expired entries also go by themselves every `sweepEvery` writes. */
  sweep(): void {
    const deleteExpired = this.db.transaction(() => this.deleteExpired());
    // In batches, each its own transaction, so other processes get the lock in between.
    while (deleteExpired.immediate() === EXPIRED_BATCH) continue;
    this.db.transaction(() => this.trimToBound(new Set())).immediate();
    this.writesSinceSweep = 0;
  }

  /** Releases the database handle (and its WAL files); later calls throw, which Cache reports. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  /** False when an entry was declined for being larger than `maxBytes`. */
  private write(entries: readonly BackendEntry[]): boolean {
    this.writesSinceSweep += entries.length;
    const sweepDue = this.writesSinceSweep >= this.sweepEvery;
    // IMMEDIATE: the write lock is taken (or waited for) up front, never upgraded to midway, which
    // SQLite could refuse at once when another process wrote meanwhile.
    const all = this.writeTransaction.immediate(entries, sweepDue);
    if (sweepDue) this.writesSinceSweep = 0;
    return all;
  }

  /** Runs inside one transaction: the entries, a due sweep and the trim land together or not at all. */
  private writeEntries(entries: readonly BackendEntry[], sweepDue: boolean): boolean {
    const now = Date.now();
    let all = true;
    for (const { key, value, ttlMs } of entries) {
      const size = Buffer.byteLength(value) + Buffer.byteLength(key);
      if (size > this.maxBytes) {
        this.statements.delete.run(key); // too big to keep: never leave an older value in its place
        all = false;
        continue;
      }
      this.statements.set.run(key, value, ttlMs === null ? null : now + ttlMs, now, size);
    }
    if (sweepDue) this.deleteExpired();
    this.trimToBound(new Set(entries.map((entry) => entry.key)));
    return all;
  }

  /** Deletes up to EXPIRED_BATCH expired entries, found through their index; returns how many. */
  private deleteExpired(): number {
    return this.statements.deleteExpired.run(Date.now(), EXPIRED_BATCH).changes;
  }

  /**
   * Deletes the oldest entries until the total is within the bound; under it, one one-row read.
   * `written` (this write's keys) go last: they are the newest even when older entries share their
   * millisecond, so they are only deleted when this write alone is past the bound.
   */
  private trimToBound(written: ReadonlySet<string>): void {
    let batch = written.size + 1; // a write past the bound usually needs one entry to make room
    for (let excess = this.totalBytes() - this.maxBytes; excess > 0; excess = this.totalBytes() - this.maxBytes) {
      const oldest = this.statements.oldest.all(batch);
      if (oldest.length === 0) {
        // A total above zero with no entries can only come from outside edits: count it again.
        this.db.prepare('UPDATE totals SET bytes = (SELECT COALESCE(SUM(size), 0) FROM entries) WHERE id = 1').run();
        return;
      }
      const older = oldest.filter(({ key }) => !written.has(key));
      const tableHasMore = oldest.length === batch;
      for (const { key, size } of older.length > 0 || tableHasMore ? older : oldest) {
        if (excess <= 0) break;
        this.statements.delete.run(key);
        excess -= size;
      }
      batch = Math.min(batch * 4, written.size + TRIM_BATCH);
    }
  }

  private totalBytes(): number {
    return this.statements.totalBytes.get()?.bytes ?? 0;
  }
}

function prepareStatements(db: Database.Database) {
  return {
    get: db.prepare<[string, number], { value: string }>('SELECT value FROM entries WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)'),
    set: db.prepare<[string, string, number | null, number, number]>(
      'INSERT OR REPLACE INTO entries (key, value, expires_at, created_at, size) VALUES (?, ?, ?, ?, ?)',
    ),
    delete: db.prepare<[string]>('DELETE FROM entries WHERE key = ?'),
    deleteExpired: db.prepare<[number, number]>(
      'DELETE FROM entries WHERE key IN (SELECT key FROM entries WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)',
    ),
    oldest: db.prepare<[number], { key: string; size: number }>('SELECT key, size FROM entries ORDER BY created_at, key LIMIT ?'),
    keysAfter: db.prepare<[string, number], { key: string }>('SELECT key FROM entries WHERE key > ? ORDER BY key LIMIT ?'),
    keysBetween: db.prepare<[string, string, number], { key: string }>('SELECT key FROM entries WHERE key > ? AND key < ? ORDER BY key LIMIT ?'),
    totalBytes: db.prepare<[], { bytes: number }>('SELECT bytes FROM totals WHERE id = 1'),
  };
}
