import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runBackendConformance, runDualEntryCheck } from '@llmcache/test-suite';
import { Cache, CacheConfigError, MemoryBackend, TieredBackend } from '@llmcache/core';
import { decodeEntry } from '@llmcache/core/internal';
import { DiskBackend } from '@llmcache/disk';

const tempDir = () => mkdtempSync(join(tmpdir(), 'llmcache-disk-'));
const api = { describe, it, beforeAll, afterAll };

const dir = tempDir();
runDualEntryCheck(api, '@llmcache/disk');
runBackendConformance(api, {
  name: 'disk',
  create: () => new DiskBackend({ dir }),
  // Half the stored text, written straight into the database file by another connection.
  corrupt: async (_backend, key) => {
    const db = new Database(join(dir, 'cache.db'));
    db.prepare('UPDATE entries SET value = substr(value, 1, length(value) / 2) WHERE key = ?').run(key);
    db.close();
  },
  cleanup: () => rmSync(dir, { recursive: true, force: true }),
});

const tieredDir = tempDir();
runBackendConformance(api, {
  name: 'tiered(memory+disk)',
  create: () => new TieredBackend({ memory: new MemoryBackend({ maxSizePerItem: 16 * 1024 }), remote: new DiskBackend({ dir: tieredDir }) }),
  // A plain memory tier hears nothing of other instances: a clear reaches the one that made it.
  coherent: false,
  cleanup: () => rmSync(tieredDir, { recursive: true, force: true }),
});

/** Runs a script in a separate Node process that uses the built package, as a second application would. */
function otherProcess(script: string) {
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('DiskBackend', () => {
  it("is what new Cache({ type: 'disk', diskCacheDir }) builds", async () => {
    const where = tempDir();
    const cache = new Cache({ type: 'disk', diskCacheDir: where });
    expect(cache.backend).toBeInstanceOf(DiskBackend);
    expect((cache.backend as DiskBackend).file).toBe(join(where, 'cache.db'));
    await cache.close();
    rmSync(where, { recursive: true, force: true });
  });

  it('rejects a bad size bound with a CacheConfigError naming the option', () => {
    expect(() => new Cache({ type: 'disk', diskCacheDir: tempDir(), diskCacheMaxBytes: -1 })).toThrow(CacheConfigError);
    expect(() => new DiskBackend({ dir: tempDir(), maxBytes: 0 })).toThrow(/diskCacheMaxBytes/);
  });

  it('enforces expiry in the store itself, to the millisecond', async () => {
    const backend = new DiskBackend({ dir: tempDir() });
    backend.set('k', 'v', 80);
    expect(backend.get('k')).toBe('v');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(backend.get('k')).toBeUndefined();
    backend.close();
  });

  it('stays within maxBytes, dropping the oldest entries first', () => {
    const backend = new DiskBackend({ dir: tempDir(), maxBytes: 20_000, sweepEvery: 10 });
    for (let i = 0; i < 100; i++) backend.set(`key-${String(i).padStart(3, '0')}`, 'x'.repeat(1000), null);
    const db = new Database(backend.file, { readonly: true });
    const { total, count } = db.prepare('SELECT SUM(size) AS total, COUNT(*) AS count FROM entries').get() as { total: number; count: number };
    db.close();
    expect(total).toBeLessThanOrEqual(20_000);
    expect(count).toBeGreaterThanOrEqual(15);
    expect(backend.get('key-099')).toBeDefined();
    expect(backend.get('key-000')).toBeUndefined();
    backend.set('huge', 'y'.repeat(30_000), null);
    expect(backend.get('huge')).toBeUndefined();
    backend.close();
  });

  it('two processes writing one key concurrently: every read is one whole value', async () => {
    const where = tempDir();
    const writer = (id: string) => `
      const { Cache } = require('@llmcache/core');
      const cache = new Cache({ type: 'disk', diskCacheDir: ${JSON.stringify(where)} });
      (async () => {
        for (let i = 0; i < 300; i++) {
          const ok = await cache.set('shared', { id: '${id}', i, body: '${id}'.repeat(20000) + i });
          if (!ok) throw new Error('write failed');
        }
        await cache.close();
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const children = [otherProcess(writer('a')), otherProcess(writer('b'))];
    const exited = children.map((c) => new Promise<number | null>((resolve) => c.on('exit', resolve)));
    const reader = new Cache({ type: 'disk', diskCacheDir: where });
    const errors: unknown[] = [];
    reader.on('error', (e) => errors.push(e));
    let reads = 0;
    let running = true;
    void Promise.all(exited).then(() => (running = false));
    while (running) {
      const hit = await reader.get<{ id: string; i: number; body: string }>('shared');
      if (hit) {
        reads++;
        expect(hit.value.body).toBe(hit.value.id.repeat(20000) + hit.value.i);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await Promise.all(exited)).toEqual([0, 0]);
    expect(errors).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    await reader.close();
    rmSync(where, { recursive: true, force: true });
  }, 60_000);

  it('a process killed mid-write leaves only whole entries behind', async () => {
    const where = tempDir();
    const child = otherProcess(`
      const { DiskBackend } = require('@llmcache/disk');
      const { encodeEntry } = require('@llmcache/core/internal');
      const backend = new DiskBackend({ dir: ${JSON.stringify(where)} });
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) backend.set('k' + (i % 50), encodeEntry('z'.repeat(200000) + i, Date.now(), null), null);`);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const backend = new DiskBackend({ dir: where });
    const db = new Database(backend.file, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const values = backend.getMany(Array.from({ length: 50 }, (_, i) => `k${i}`)).filter((v): v is string => v !== undefined);
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(decodeEntry<string>(value).d).toMatch(/^z{200000}\d+$/);
    backend.close();
    rmSync(where, { recursive: true, force: true });
  }, 30_000);
});
