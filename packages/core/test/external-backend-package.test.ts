import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from '@llmcache/core';

// `type: '@scope/name'` with nothing registered loads that package's createCacheBackend, found from
// the application's folder (here a temporary one with the fixture installed in its node_modules).
describe('an external backend type loaded by package name', () => {
  const cwd = process.cwd();
  let app: string;

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'llmcache-app-'));
    mkdirSync(join(app, 'node_modules', '@fixture'), { recursive: true });
    symlinkSync(join(__dirname, 'fixtures', 'map-backend'), join(app, 'node_modules', '@fixture', 'llmcache-map'), 'dir');
    process.chdir(app);
  });
  afterAll(() => {
    process.chdir(cwd);
    rmSync(app, { recursive: true, force: true });
  });

  it('builds the backend from the installed package, with its own options', async () => {
    const cache = new Cache({ type: '@fixture/llmcache-map', mapName: 'by-package' });
    expect(cache.backend.name).toBe('map');
    await cache.set('k', { ok: true });
    await cache.close();
    const reopened = new Cache({ type: '@fixture/llmcache-map', mapName: 'by-package' });
    expect((await reopened.get('k'))?.value).toEqual({ ok: true });
    await reopened.close();
  });
});
