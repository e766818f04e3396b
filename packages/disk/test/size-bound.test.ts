import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DiskBackend } from '@llmcache/disk';
import { exitOf, nodeProcess } from '@llmcache/test-suite';

let root: string;
beforeAll(() => (root = mkdtempSync(join(tmpdir(), 'llmcache-bound-'))));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the file holds: the entries' bytes summed now, and the running total the backend keeps. */
function bytesIn(file: string): { sum: number; total: number | undefined } {
  const db = new Database(file, { readonly: true });
  const { sum } = db.prepare('SELECT COALESCE(SUM(size), 0) AS sum FROM entries').get() as { sum: number };
  const hasTotals = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'totals'").get() !== undefined;
  const total = hasTotals ? (db.prepare('SELECT bytes FROM totals').get() as { bytes: number }).bytes : undefined;
  db.close();
  return { sum, total };
}

/** SQLite's plan for a statement of `backend`, as run on its file; unbound parameters are NULL. */
function planOf(file: string, sql: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    for (let params = 0; ; params++) {
      try {
        return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...new Array(params).fill(null)) as { detail: string }[]).map((r) => r.detail);
      } catch (err) {
        if ((err as Error).name !== 'RangeError' || params > 10) throw err; // too few parameters: bind one more
      }
    }
  } finally {
    db.close();
  }
}

describe('the size bound and the expiry sweep', () => {
  it('never scan or sort the table: each statement reads entries only through a key or an index, up to a LIMIT', () => {
    const backend = new DiskBackend({ dir: join(root, 'plans') });
    for (let i = 0; i < 50; i++) backend.set(`k${i}`, 'v'.repeat(100), i % 2 ? 60_000 : null);
    // The prepared statements are private; their SQL is what this test pins, so it reads them there.
    const { statements } = backend as unknown as { statements: Record<string, Database.Statement> };
    const plans = Object.entries(statements).map(([name, statement]) => ({ name, sql: statement.source, plan: planOf(backend.file, statement.source) }));
    backend.close();
    const unbounded = plans.filter(({ sql, plan }) =>
      plan.some((step) => /^SCAN entries$/.test(step) || step.includes('TEMP B-TREE') || (step.startsWith('SCAN entries USING') && !/\bLIMIT\b/i.test(sql))),
    );
    expect(unbounded).toEqual([]);
    // What the sweep and the bound run, named: expired entries through their index, the oldest through theirs.
    expect(plans.flatMap((p) => p.plan)).toEqual(
      expect.arrayContaining([expect.stringMatching(/USING (COVERING )?INDEX entries_expires_at/), 'SCAN entries USING INDEX entries_created_at']),
    );
  });

  it('keeps a running total equal to the bytes stored, through replaces, deletes, expiry and trims', async () => {
    const backend = new DiskBackend({ dir: join(root, 'total'), maxBytes: 30_000, sweepEvery: 7 });
    for (let i = 0; i < 600; i++) {
      const key = `k${i % 40}`;
      if (i % 11 === 0) backend.delete(key);
      else if (i % 5 === 0)
        backend.setMany([
          { key, value: 'a'.repeat(i % 900), ttlMs: 1 },
          { key: `m${i % 13}`, value: 'b'.repeat(2000), ttlMs: null },
        ]);
      else backend.set(key, 'c'.repeat((i * 37) % 3000), i % 3 ? null : 5);
      if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 10)); // let some entries expire
    }
    backend.sweep();
    const { sum, total } = bytesIn(backend.file);
    backend.close();
    expect(total).toBe(sum);
    expect(sum).toBeLessThanOrEqual(30_000);
    expect(sum).toBeGreaterThan(20_000);
  });

  it('never trims away the entry just written, even when older entries share its millisecond', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000); // every write in one millisecond
    try {
      const backend = new DiskBackend({ dir: join(root, 'same-ms'), maxBytes: 2500 });
      backend.set('k-b', 'b'.repeat(1000), null);
      backend.set('k-c', 'c'.repeat(1000), null);
      expect(backend.set('k-a', 'a'.repeat(1000), null)).toBe(true);
      expect(backend.get('k-a')).toBeDefined();
      expect(backend.get('k-b')).toBeUndefined(); // the oldest write goes
      expect(backend.get('k-c')).toBeDefined();
      // A write alone past the bound keeps what fits of it.
      backend.setMany(['x', 'y', 'z'].map((key) => ({ key, value: key.repeat(1000), ttlMs: null })));
      expect(bytesIn(backend.file).sum).toBeLessThanOrEqual(2500);
      expect(backend.getMany(['k-a', 'k-c', 'x', 'y', 'z']).filter((v) => v !== undefined)).toHaveLength(2);
      backend.close();
    } finally {
      now.mockRestore();
    }
  });

  it('keeps the total right and the bound held with two processes writing the same keys', async () => {
    const dir = join(root, 'two-writers');
    const writer = (seed: number) => `
      const { DiskBackend } = require('@llmcache/disk');
      const backend = new DiskBackend({ dir: ${JSON.stringify(dir)}, maxBytes: 50_000, sweepEvery: 5 });
      for (let i = 0; i < 1500; i++) {
        const n = (i * ${seed}) % 97;
        if (n % 9 === 0) backend.delete('k' + (n % 30));
        else backend.set('k' + (n % 30), 'x'.repeat(n * 31), n % 4 ? null : 2);
      }
      backend.close();`;
    const results = await Promise.all([exitOf(nodeProcess(writer(7))), exitOf(nodeProcess(writer(13)))]);
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    const { sum, total } = bytesIn(join(dir, 'cache.db'));
    expect(total).toBe(sum);
    expect(sum).toBeLessThanOrEqual(50_000);
  }, 30_000);

  it('counts the bytes of a cache written before the total existed, and bounds it from the next write', () => {
    const dir = join(root, 'older');
    const backend = new DiskBackend({ dir });
    backend.close();
    // Rewind the file to the first release's schema: entries and their created_at index only.
    const db = new Database(join(dir, 'cache.db'));
    db.exec('DROP TRIGGER entries_total_insert; DROP TRIGGER entries_total_update; DROP TRIGGER entries_total_delete;');
    db.exec('DROP TABLE totals; DROP INDEX entries_expires_at; PRAGMA user_version = 0;');
    const insert = db.prepare('INSERT INTO entries (key, value, expires_at, created_at, size) VALUES (?, ?, NULL, ?, ?)');
    for (let i = 0; i < 30; i++) insert.run(`old-${String(i).padStart(2, '0')}`, 'o'.repeat(1000), i, 1006);
    db.close();

    const reopened = new DiskBackend({ dir, maxBytes: 10_000 });
    expect(bytesIn(reopened.file)).toEqual({ sum: 30 * 1006, total: 30 * 1006 });
    reopened.set('new', 'n'.repeat(1000), null);
    const after = bytesIn(reopened.file);
    expect(after.total).toBe(after.sum);
    expect(after.sum).toBeLessThanOrEqual(10_000);
    expect(reopened.get('new')).toBeDefined();
    expect(reopened.get('old-29')).toBeDefined();
    expect(reopened.get('old-00')).toBeUndefined();
    reopened.close();
  });
});
