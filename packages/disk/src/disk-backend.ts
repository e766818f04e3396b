import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { positiveInteger, nonEmptyString, type BackendEntry, type CacheBackend } from '@llmcache/core';
import { openDatabase } from './open-database';

export interface DiskBackendOptions {
  /**
   * Folder holding the cache database (`cache.db`); created when missing. Several processes may share it.
   * @default '.llmcache'
   */
  dir?: string;
  /**
   * Size bound in bytes of the stored entries; past it the oldest entries are removed first.
   * @default 1073741824 (1 GiB)
   */
  maxBytes?: number;
  /**
   * How many writes between two sweeps of expired entries and the size bound.
   * @default 100
   */
  sweepEvery?: number;
}

/**
 * Entries in one SQLite database in WAL mode: every write is one atomic statement, so a reader in this or
 * another process sees a whole entry or none, and a crash mid-write leaves the previous value intact.
 */
export class DiskBackend implements CacheBackend {
  readonly name = 'disk';
  readonly file: string;
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private readonly sweepEvery: number;
  private writesSinceSweep = 0;
  private readonly statements: ReturnType<typeof prepareStatements>;

  /** Throws a `CacheConfigError` on `diskCacheDir` when the folder or its database cannot be used. */
  constructor(options: DiskBackendOptions = {}) {
    const dir = resolve(nonEmptyString('disk', 'diskCacheDir', options.dir ?? '.llmcache'));
    this.maxBytes = positiveInteger('disk', 'diskCacheMaxBytes', options.maxBytes ?? 1024 ** 3);
    this.sweepEvery = positiveInteger('disk', 'sweepEvery', options.sweepEvery ?? 100);
    const { db, file, prepared } = openDatabase(dir, prepareStatements);
    this.db = db;
    this.file = file;
    this.statements = prepared;
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

  /** Removes expired entries and trims to `maxBytes`; runs by itself every `sweepEvery` writes. */
  sweep(): void {
    this.statements.deleteExpired.run(Date.now());
    this.statements.trimToSize.run(this.maxBytes);
    this.writesSinceSweep = 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** False when an entry was declined for being larger than `maxBytes`. */
  private write(entries: readonly BackendEntry[]): boolean {
    const now = Date.now();
    let all = true;
    this.writesSinceSweep += entries.length;
    const sweepDue = this.writesSinceSweep >= this.sweepEvery;
    // One transaction: the entries and a due sweep land together or not at all.
    this.db.transaction(() => {
      for (const { key, value, ttlMs } of entries) {
        const size = Buffer.byteLength(value) + Buffer.byteLength(key);
        if (size > this.maxBytes) {
          this.statements.delete.run(key); // too big to keep: never leave an older value in its place
          all = false;
          continue;
        }
        this.statements.set.run(key, value, ttlMs === null ? null : now + ttlMs, now, size);
      }
      if (sweepDue) this.sweep();
    })();
    return all;
  }
}

function prepareStatements(db: Database.Database) {
  return {
    get: db.prepare<[string, number], { value: string }>('SELECT value FROM entries WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)'),
    set: db.prepare<[string, string, number | null, number, number]>(
      'INSERT OR REPLACE INTO entries (key, value, expires_at, created_at, size) VALUES (?, ?, ?, ?, ?)',
    ),
    delete: db.prepare<[string]>('DELETE FROM entries WHERE key = ?'),
    deleteExpired: db.prepare<[number]>('DELETE FROM entries WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    // Keeps the newest entries whose sizes add up to at most the bound.
    trimToSize: db.prepare<[number]>(`
      DELETE FROM entries WHERE key IN (
        SELECT key FROM (SELECT key, SUM(size) OVER (ORDER BY created_at DESC, key) AS running FROM entries)
        WHERE running > ?
      )`),
  };
}
