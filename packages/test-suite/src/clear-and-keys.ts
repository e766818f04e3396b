import assert from 'node:assert/strict';
import { Cache, CacheConfigError, cacheKey, type CacheBackend } from '@llmcache/core';
import type { TestApi } from './test-api';

export interface ClearAndKeysContext {
  /** The backend under test, as opened by the suite (it may be replaced by a reopen). */
  backend(): CacheBackend;
  /** Opens a second instance on the same storage. */
  create(): Promise<CacheBackend> | CacheBackend;
  /** Unique per run, so a shared store may hold other data. */
  run: string;
  /** Entries survive close and reopen, so a second instance sees the first one's. */
  persistent: boolean;
  /** A second instance's memory tier hears of this one's clears (false: a memory tier without invalidation). */
  coherent: boolean;
}

const keyIn = (namespace: string | undefined, name: string) => cacheKey({ callType: 'completion', model: 'conformance', params: { name }, namespace });

/** `clear(namespace?)` and keys that must stay apart: the cases every backend proves through `Cache`. */
export function clearAndKeysCases(t: TestApi, ctx: ClearAndKeysContext): void {
  const { run } = ctx;

  t.it('clear(namespace) deletes exactly that namespace, never one that starts with it or contains ":"', async () => {
    const cache = new Cache({ backend: ctx.backend(), ttl: 60 });
    const team = `team-${run}`;
    const namespaces = [team, `${team}:eu`, `${team}:eu:west`, `${team}-x`, `other-${run}`];
    for (const ns of namespaces) assert.equal(await cache.set(keyIn(ns, 'a'), ns), true, `set in ${ns}`);
    // A key cut from a longer namespace: "team:eu" is not the key "eu" of namespace "team".
    await cache.clear(team);
    assert.equal(await cache.get(keyIn(team, 'a')), undefined, 'the cleared namespace still serves');
    for (const ns of namespaces.slice(1)) assert.equal((await cache.get(keyIn(ns, 'a')))?.value, ns, `clear(${team}) deleted ${ns}`);
    await cache.clear(`${team}:eu`);
    assert.equal(await cache.get(keyIn(`${team}:eu`, 'a')), undefined);
    assert.equal((await cache.get(keyIn(`${team}:eu:west`, 'a')))?.value, `${team}:eu:west`);
  });

  t.it('clear() deletes every namespace, and entries without one', async () => {
    const cache = new Cache({ backend: ctx.backend(), ttl: 60 });
    const keys = [keyIn(undefined, `plain-${run}`), keyIn(`all-${run}`, 'a'), keyIn(`all-${run}:b`, 'a')];
    for (const key of keys) assert.equal(await cache.set(key, 'v'), true);
    await cache.clear();
    for (const key of keys) assert.equal(await cache.get(key), undefined, `clear() left ${key}`);
    assert.equal(await cache.set(keys[0]!, 'again'), true);
    assert.equal((await cache.get(keys[0]!))?.value, 'again');
  });

  if (ctx.persistent && ctx.coherent) {
    t.it('a clear by one instance empties the memory tier of another', async () => {
      const other = await ctx.create();
      const a = new Cache({ backend: ctx.backend(), ttl: 60 });
      const b = new Cache({ backend: other, ttl: 60 });
      try {
        const key = keyIn(`shared-${run}`, 'a');
        await a.set(key, 'cleared');
        // Read twice by b: the second read is served from b's memory tier, where it has one.
        assert.equal((await b.get(key))?.value, 'cleared');
        assert.equal((await b.get(key))?.value, 'cleared');
        await a.clear(`shared-${run}`);
        // The announcement travels through the store: allow it a moment, bounded.
        const deadline = Date.now() + 2_000;
        while ((await b.get(key)) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(await b.get(key), undefined, 'another instance still serves a cleared entry');
      } finally {
        await b.close();
      }
    });
  }

  t.it('refuses keys and namespaces with a lone surrogate, which UTF-8 stores would merge with U+FFFD', async () => {
    const cache = new Cache({ backend: ctx.backend(), ttl: 60 });
    const replaced = `k-${run}-\ufffd`;
    const lone = `k-${run}-\ud800`;
    assert.equal(await cache.set(replaced, 'replacement character'), true);
    await assert.rejects(cache.set(lone, 'lone surrogate'), (err: unknown) => err instanceof CacheConfigError && err.option === 'key');
    await assert.rejects(cache.get(lone), (err: unknown) => err instanceof CacheConfigError && err.option === 'key');
    await assert.rejects(cache.delete(lone), (err: unknown) => err instanceof CacheConfigError && err.option === 'key');
    await assert.rejects(cache.clear(`ns-\udc00`), (err: unknown) => err instanceof CacheConfigError && err.option === 'namespace');
    assert.equal((await cache.get(replaced))?.value, 'replacement character', 'a refused key changed another');
    assert.throws(
      () => new Cache({ backend: ctx.backend(), namespace: 'a\ud800' }),
      (err: unknown) => err instanceof CacheConfigError && err.option === 'namespace',
    );
    assert.throws(
      () => cache.resolveControl('completion', { namespace: 'a\udc00b' }),
      (err: unknown) => err instanceof CacheConfigError && err.option === 'cache.namespace',
    );
    assert.throws(
      () => keyIn('a\ud800', 'x'),
      (err: unknown) => err instanceof CacheConfigError && err.option === 'namespace',
    );
  });

  t.it('keeps namespaces that differ only past the BMP or in U+FFFD apart, and clears them exactly', async () => {
    const cache = new Cache({ backend: ctx.backend(), ttl: 60 });
    const namespaces = [`emoji-${run}-😀`, `emoji-${run}-\ufffd\ufffd`, `emoji-${run}-\ufffd`];
    for (const ns of namespaces) await cache.set(keyIn(ns, 'a'), ns);
    for (const ns of namespaces) assert.equal((await cache.get(keyIn(ns, 'a')))?.value, ns);
    await cache.clear(namespaces[0]);
    assert.equal(await cache.get(keyIn(namespaces[0], 'a')), undefined);
    for (const ns of namespaces.slice(1)) assert.equal((await cache.get(keyIn(ns, 'a')))?.value, ns);
  });
}
