import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, nodeProcess, printed } from '@llmcache/test-suite';

const ROUNDS = 3;
const PROCESSES = 10;
/** Fresh folders each process opens in turn, all processes together: one race per folder. */
const FOLDERS = 20;
const STEP_MS = 40;

// Loads everything (the disk package too, so that loading it does not spread the starts), says so, then
// opens folder k at start + k * STEP_MS: every process opens each fresh folder in the same millisecond,
// the moment they race to create the file and switch it to WAL. The first failure is printed and exits 1.
const opener = `
  const { Cache } = require('@llmcache/core');
  require('@llmcache/disk');
  process.stdout.write('ready\\n');
  process.stdin.once('data', async (line) => {
    const start = Number(String(line));
    const id = process.env.ID;
    try {
      for (let k = 0; k < ${FOLDERS}; k++) {
        const wait = start + k * ${STEP_MS} - Date.now();
        if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
        const cache = new Cache({ type: 'disk', diskCacheDir: process.env.DIR + '/' + k });
        const errors = [];
        cache.on('error', (err) => errors.push(err));
        if (!(await cache.set('k' + id, { id }))) throw new Error('set declined');
        const hit = await cache.get('k' + id);
        if (hit?.value.id !== id) throw new Error('read back ' + JSON.stringify(hit));
        await cache.close();
        if (errors.length > 0) throw errors[0];
      }
    } catch (err) {
      console.error(err);
      process.exitCode = 1;
    }
    process.stdin.destroy();
  });`;

describe('several processes opening one fresh diskCacheDir at once', () => {
  it(`never fail (${ROUNDS} rounds of ${PROCESSES} processes racing on ${FOLDERS} fresh folders)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'llmcache-open-'));
      const children = Array.from({ length: PROCESSES }, (_, i) => nodeProcess(opener, { DIR: dir, ID: String(i) }));
      const exits = children.map(exitOf);
      await Promise.all(children.map((child) => printed(child, 'ready')));
      const start = Date.now() + 50;
      for (const child of children) child.stdin!.write(`${start}\n`);
      const results = await Promise.all(exits);
      rmSync(dir, { recursive: true, force: true });
      expect(results.filter((r) => r.code !== 0).map((r) => r.stderr.split('\n').slice(0, 3).join('\n'))).toEqual([]);
    }
  }, 60_000);
});
