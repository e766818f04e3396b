import { runBackendConformance } from '@llmcache/test-suite';
import { Cache, CacheConfigError, registerCacheBackend } from '@llmcache/core';
import { thrown } from '@llmcache/test-suite';

// A backend from outside the repository, registered the public way, must pass the same conformance
// suite as ours and be reachable through `new Cache({ type })`. (Loading it by package name, without
// registering: external-backend-package.test.ts, which needs a registry of its own.)
const { createCacheBackend } = require('./fixtures/map-backend') as typeof import('./fixtures/map-backend');
const TYPE = '@fixture/llmcache-map';
registerCacheBackend(TYPE, createCacheBackend);

const mapName = `conformance-${Date.now().toString(36)}`;
runBackendConformance(
  { describe, it, beforeAll, afterAll },
  {
    name: 'registered third-party',
    // Through Cache, as users reach it; the fixture's maps outlive a backend, hence persistent.
    create: () => new Cache({ type: TYPE, mapName }).backend,
  },
);

function expectConfigError(fn: () => unknown, option: string, message?: RegExp): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(CacheConfigError);
  expect((err as CacheConfigError).option).toBe(option);
  if (message) expect((err as Error).message).toMatch(message);
}

describe('a registered external backend type', () => {
  it('gets every option given to Cache, its own ones unchecked by core', async () => {
    const factory = jest.fn(createCacheBackend);
    registerCacheBackend('@fixture/spy', factory);
    const cache = new Cache({ type: '@fixture/spy', mapName: 'options', ttl: 5, namespace: 'ns' });
    expect(factory).toHaveBeenCalledWith({ type: '@fixture/spy', mapName: 'options', ttl: 5, namespace: 'ns' });
    expect(cache.backend.name).toBe('map');
    expect(cache.ttlMs).toBe(5000);
    expect(await cache.set('k', 'v')).toBe(true);
    expect((await cache.get('k'))?.value).toBe('v');
    await cache.close();
  });

  it("still has Cache's own options checked", () => {
    expectConfigError(() => new Cache({ type: TYPE, mapName: 'x', ttl: -1 }), 'ttl');
    expectConfigError(() => new Cache({ type: TYPE, mapName: 'x', backend: new Cache().backend } as never), 'backend', /either type or backend/);
  });

  it("lets the backend refuse its own options, with the backend's error", () => {
    expect(thrown(() => new Cache({ type: TYPE }))).toEqual(expect.objectContaining({ message: expect.stringContaining('mapName') }));
  });

  it('is named like a scoped package; other names are refused', () => {
    expectConfigError(() => registerCacheBackend('dynamo' as never, createCacheBackend), 'type', /scoped npm package/);
    expectConfigError(() => registerCacheBackend('@acme/x', 'nope' as never), 'type', /must be a function/);
  });

  it('leaves an unknown unscoped type an error naming type, and its options unknown options', () => {
    expectConfigError(() => new Cache({ type: 'dynamo' as never }), 'type', /must be one of .*scoped package name/);
    expectConfigError(() => new Cache({ type: 'redis', mapName: 'x' } as never), 'mapName', /is not a Cache option/);
  });

  it('names the package to install when an external type is neither registered nor installed', () => {
    expectConfigError(
      () => new Cache({ type: '@acme/llmcache-absent' }),
      'type',
      /needs the package @acme\/llmcache-absent: npm install @acme\/llmcache-absent/,
    );
  });
});
