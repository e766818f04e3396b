import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as core from '@llmcache/core';
import { Router } from '@llmcache/router';
import { ask, deployment, useUpstream } from './helpers';

const upstream = useUpstream();

/** Where Node finds package `name` for code in `from`: the nearest node_modules folder holding it. */
function packageFolder(name: string, from: string): string {
  for (let at = from; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', name);
    if (existsSync(candidate)) return candidate;
    if (dirname(at) === at) throw new Error(`${name} is not installed for ${from}`);
  }
}

// npm can install two copies of core (a version skew between the router's range and the user's own
// dependency). A cache made by the user's copy must still work in a router built on the other.
describe('a Cache from a second copy of @llmcache/core', () => {
  let dir: string;
  let second: typeof core;

  beforeAll(() => {
    // A package folder outside the repository, as npm would nest it, with core's own dependencies
    // linked beside it (the versions core resolves, which the repository root may not hoist).
    dir = mkdtempSync(join(tmpdir(), 'llmcache-second-core-'));
    const installed = dirname(require.resolve('@llmcache/core/package.json'));
    const copy = join(dir, 'node_modules', '@llmcache', 'core');
    cpSync(join(installed, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(installed, 'package.json'), join(copy, 'package.json'));
    const { dependencies } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of Object.keys(dependencies)) symlinkSync(packageFolder(name, installed), join(dir, 'node_modules', name), 'dir');
    second = require(copy) as typeof core;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is another class, yet recognised as a Cache', () => {
    expect(second.Cache).not.toBe(core.Cache);
    const cache = new second.Cache();
    expect(cache instanceof core.Cache).toBe(false);
    expect(core.isCache(cache)).toBe(true);
    expect(second.isCache(new core.Cache())).toBe(true);
    expect(core.isCache({})).toBe(false);
    expect(core.isCache(null)).toBe(false);
  });

  it('is accepted by new Router({ cache }) and serves the second call from that cache', async () => {
    const cache = new second.Cache();
    const router = new Router({ modelList: [deployment(upstream(), 'gpt', 'gpt-4o-mini')], cache });
    const first = await router.completion({ model: 'gpt', messages: ask('two copies') });
    const again = await router.completion({ model: 'gpt', messages: ask('two copies') });
    expect(first._hiddenParams.cacheHit).toBe(false);
    expect(again._hiddenParams.cacheHit).toBe(true);
    expect(again.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(upstream().callCount({ path: '/v1/chat/completions' })).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, writes: 1 });
    await router.close();
  });
});
