import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Cache, CacheConfigError } from '@llmcache/core';
import { DiskBackend } from '@llmcache/disk';

let root: string;
beforeAll(() => (root = mkdtempSync(join(tmpdir(), 'llmcache-setup-'))));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The error `new Cache({ type: 'disk', diskCacheDir })` throws, checked to be the set-up error for `path`. */
function setupErrorOf(diskCacheDir: string, path: string): CacheConfigError {
  let thrown: unknown;
  try {
    new Cache({ type: 'disk', diskCacheDir });
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CacheConfigError);
  const error = thrown as CacheConfigError;
  expect(error.option).toBe('diskCacheDir');
  expect(error.message).toMatch(/^\[llmcache\]\[disk\] diskCacheDir: /);
  expect(error.message).toContain(path);
  // The underlying error is kept whole (not instanceof-checked: Node's own errors come from another realm under jest).
  expect(error.cause).toEqual(expect.objectContaining({ message: expect.any(String) }));
  expect(error.message).toContain((error.cause as Error).message);
  // DiskBackend on its own throws the same.
  expect(() => new DiskBackend({ dir: diskCacheDir })).toThrow(CacheConfigError);
  return error;
}

const causeCode = (error: CacheConfigError) => (error.cause as { code?: string }).code;

describe('a diskCacheDir that cannot hold the cache is a CacheConfigError at construction', () => {
  it('when cache.db is random bytes', () => {
    const dir = join(root, 'random');
    mkdirSync(dir);
    writeFileSync(join(dir, 'cache.db'), randomBytes(8192));
    expect(causeCode(setupErrorOf(dir, join(dir, 'cache.db')))).toBe('SQLITE_NOTADB');
  });

  it('when cache.db is text', () => {
    const dir = join(root, 'text');
    mkdirSync(dir);
    writeFileSync(join(dir, 'cache.db'), 'not a database\n'.repeat(500));
    expect(causeCode(setupErrorOf(dir, join(dir, 'cache.db')))).toBe('SQLITE_NOTADB');
  });

  it('when cache.db is a folder', () => {
    const dir = join(root, 'folder-db');
    mkdirSync(join(dir, 'cache.db'), { recursive: true });
    expect(causeCode(setupErrorOf(dir, join(dir, 'cache.db')))).toBe('SQLITE_CANTOPEN');
  });

  it("when cache.db is another application's database", () => {
    const dir = join(root, 'foreign');
    mkdirSync(dir);
    const db = new Database(join(dir, 'cache.db'));
    db.exec('CREATE TABLE entries (id INTEGER PRIMARY KEY, title TEXT)');
    db.close();
    expect(setupErrorOf(dir, join(dir, 'cache.db')).cause).toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('when diskCacheDir is a file', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(causeCode(setupErrorOf(file, file))).toBe('EEXIST');
  });

  it('when diskCacheDir is under a file', () => {
    const file = join(root, 'another-file');
    writeFileSync(file, 'x');
    expect(causeCode(setupErrorOf(join(file, 'cache'), join(file, 'cache')))).toBe('ENOTDIR');
  });

  it('when the folder cannot be written, also for root', () => {
    // /proc/self exists and refuses new files whoever asks; permission bits would not stop root.
    if (process.platform === 'linux') expect(causeCode(setupErrorOf('/proc/self', '/proc/self/cache.db'))).toBe('SQLITE_CANTOPEN');
    if (process.getuid?.() !== 0) {
      const dir = join(root, 'read-only');
      mkdirSync(dir);
      chmodSync(dir, 0o500);
      expect(causeCode(setupErrorOf(dir, join(dir, 'cache.db')))).toBe('SQLITE_CANTOPEN');
      chmodSync(dir, 0o700);
    }
  });
});
