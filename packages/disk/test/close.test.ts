import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, nodeProcess } from '@llmcache/test-suite';

describe('close()', () => {
  it('releases the database: a process that opened, wrote and closed exits by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmcache-close-'));
    // The child says whether SQLite's WAL files are still there after close(): they go only when the
    // last connection to the file closes, so their absence shows that the handle was released.
    const child = nodeProcess(`
      const { existsSync } = require('node:fs');
      const { Cache } = require('@llmcache/core');
      (async () => {
        const cache = new Cache({ type: 'disk', diskCacheDir: ${JSON.stringify(dir)} });
        if (!(await cache.set('k', { v: 1 }))) throw new Error('set declined');
        if ((await cache.get('k'))?.value.v !== 1) throw new Error('no hit');
        await cache.close();
        console.log(JSON.stringify({ wal: existsSync(${JSON.stringify(join(dir, 'cache.db-wal'))}), shm: existsSync(${JSON.stringify(join(dir, 'cache.db-shm'))}) }));
      })().catch((err) => { console.error(err); process.exitCode = 1; });`);
    const exit = exitOf(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const { code, signal, stdout, stderr } = await exit;
    clearTimeout(timer);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({ wal: false, shm: false });
    expect(existsSync(join(dir, 'cache.db'))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
