import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Cache, cacheKey, type CacheBackend, type CacheBackendError } from '@llmcache/core';
import { clearAndKeysCases } from './clear-and-keys';
import type { TestApi } from './test-api';

export type { TestApi } from './test-api';

export interface ConformanceOptions {
  /** Shown in test names. */
  name: string;
  /** Opens a backend on the suite's storage; called again for "close and reopen". */
  create(): Promise<CacheBackend> | CacheBackend;
  /** Entries survive close and reopen (memory does not). @default true */
  persistent?: boolean;
  /**
   * Damages the stored entry of `key` behind the backend's back (e.g. writes half of it straight to the
   * store). @default writes a truncated copy of the entry through `backend.set`
   */
  corrupt?(backend: CacheBackend, key: string): Promise<void>;
  /**
   * A second instance's memory tier hears of this one's changes and clears (false for a memory tier
   * without invalidation, such as `withMemoryTier` over an object store). @default true
   */
  coherent?: boolean;
  /** Runs after the suite, e.g. to delete the storage. */
  cleanup?(): Promise<void> | void;
}

const LARGE_TEXT_BYTES = 5 * 1024 * 1024;

function key(name: string, namespace?: string): string {
  return cacheKey({ callType: 'completion', model: 'conformance', params: { name }, namespace });
}

function errorsOf(cache: Cache): CacheBackendError[] {
  const errors: CacheBackendError[] = [];
  cache.on('error', (err) => errors.push(err));
  return errors;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every llmcache backend must show, run against a real instance. Keys are unique per
 * run, so a shared store may hold other data.
 */
export function runBackendConformance(t: TestApi, options: ConformanceOptions): void {
  const persistent = options.persistent ?? true;
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const k = (name: string, namespace?: string) => key(`${run}:${name}`, namespace);
  let backend: CacheBackend;
  let cache: Cache;

  t.describe(`${options.name} backend conformance`, () => {
    t.beforeAll(async () => {
      backend = await options.create();
      cache = new Cache({ backend, ttl: 60 });
    });
    t.afterAll(async () => {
      await cache?.close();
      await options.cleanup?.();
    });

    t.it('returns what was set, and undefined for a missing key', async () => {
      await backend.set(k('raw'), 'plain value', null);
      assert.equal(await backend.get(k('raw')), 'plain value');
      assert.equal(await backend.get(k('never-set')), undefined);
      assert.equal(await cache.set(k('obj'), { answer: 42, list: [1, 'two'] }), true);
      assert.deepEqual((await cache.get(k('obj')))?.value, { answer: 42, list: [1, 'two'] });
      assert.equal(await cache.get(k('never-set')), undefined);
    });

    t.it('overwrites and deletes', async () => {
      await cache.set(k('over'), 'first');
      await cache.set(k('over'), 'second');
      assert.equal((await cache.get(k('over')))?.value, 'second');
      await cache.delete(k('over'));
      assert.equal(await backend.get(k('over')), undefined);
      assert.equal(await cache.get(k('over')), undefined);
      await backend.delete(k('never-set')); // deleting a missing key is not an error
    });

    t.it('stores an empty string as a value, not as absence', async () => {
      await backend.set(k('empty'), '', null);
      assert.equal(await backend.get(k('empty')), '');
      await cache.set(k('empty-value'), '');
      assert.equal((await cache.get(k('empty-value')))?.value, '');
    });

    t.it('never serves an entry after its ttl, and keeps one with no ttl', async () => {
      // Long enough that a store slowed by a loaded machine still answers inside it.
      await cache.set(k('short'), 'gone soon', { ttlMs: 1_000 });
      await cache.set(k('forever'), 'stays', { ttlMs: null });
      assert.equal((await cache.get(k('short')))?.value, 'gone soon');
      await sleep(1_300);
      assert.equal(await cache.get(k('short')), undefined);
      const forever = await cache.get(k('forever'));
      assert.equal(forever?.value, 'stays');
      assert.equal(forever?.expiresAt, null);
    });

    t.it('lets the store itself drop an expired entry', async () => {
      await backend.set(k('store-ttl'), 'x', 150);
      await sleep(400);
      // Cache enforces expiry on read either way; this checks the store does not keep it forever.
      assert.equal(await backend.get(k('store-ttl')), undefined);
    });

    t.it('keeps namespaces apart', async () => {
      const a = new Cache({ backend, namespace: `a-${run}` });
      const b = new Cache({ backend, namespace: `b-${run}` });
      const params = { callType: 'completion', model: 'm', params: { messages: [{ role: 'user', content: 'hi' }] } };
      const keyA = cacheKey({ ...params, namespace: a.resolveControl('completion').namespace });
      const keyB = cacheKey({ ...params, namespace: b.resolveControl('completion').namespace });
      const keyC = cacheKey({ ...params, namespace: a.resolveControl('completion', { namespace: `c-${run}` }).namespace });
      assert.notEqual(keyA, keyB);
      assert.notEqual(keyA, keyC);
      await a.set(keyA, 'from a');
      assert.equal(await b.get(keyB), undefined);
      assert.equal(await a.get(keyC), undefined);
      assert.equal((await a.get(keyA))?.value, 'from a');
    });

    t.it('reads and writes in batches, in order', async () => {
      const keys = [k('batch-0'), k('batch-1'), k('batch-missing'), k('batch-2')];
      assert.equal(await cache.setMany([0, 1, 2].map((i) => ({ key: k(`batch-${i}`), value: { i } }))), true);
      const hits = await cache.getMany(keys);
      assert.deepEqual(
        hits.map((h) => h?.value),
        [{ i: 0 }, { i: 1 }, undefined, { i: 2 }],
      );
      if (backend.getMany) {
        const raw = await backend.getMany(keys);
        assert.equal(raw.length, 4);
        assert.equal(raw[2], undefined);
      }
    });

    for (const [label, bytes] of [
      ['0 bytes', 0],
      ['1 KB', 1024],
      ['1 MB', 1024 * 1024],
      ['5 MB', LARGE_TEXT_BYTES],
    ] as const) {
      t.it(
        `round-trips a ${label} value of non-ASCII text exactly`,
        async () => {
          const unit = 'añ€😀日本 ';
          const text = unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)));
          const value = { content: text, bytes };
          await cache.set(k(`size-${bytes}`), value);
          const hit = await cache.get<typeof value>(k(`size-${bytes}`));
          assert.ok(hit, `${label} value was not read back`);
          assert.equal(hit.value.content.length, text.length);
          assert.equal(hit.value.content === text, true, `${label} value came back different`);
        },
        60_000,
      );
    }

    t.it(
      'serves only complete values while 100 writers race on one key',
      async () => {
        const target = k('race');
        const payload = (id: number) => ({ id, body: `writer-${id}|`.repeat(2000) });
        const seen = new Set<number>();
        let writing = true;
        const reader = (async () => {
          while (writing) {
            const hit = await cache.get<{ id: number; body: string }>(target);
            if (hit) {
              assert.deepEqual(hit.value, payload(hit.value.id), 'a reader saw a mixed or partial value');
              seen.add(hit.value.id);
            }
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        const errors = errorsOf(cache);
        const results = await Promise.all(Array.from({ length: 100 }, (_, id) => cache.set(target, payload(id))));
        writing = false;
        await reader;
        assert.deepEqual(errors, []);
        assert.ok(results.every(Boolean), 'a concurrent write failed');
        const final = await cache.get<{ id: number; body: string }>(target);
        assert.ok(final, 'nothing was stored');
        assert.deepEqual(final.value, payload(final.value.id));
      },
      60_000,
    );

    t.it('treats an entry damaged behind its back as a miss and reports it', async () => {
      const target = k('corrupt');
      await cache.set(target, { fine: true });
      if (options.corrupt) await options.corrupt(backend, target);
      else {
        const stored = await backend.get(target);
        await backend.set(target, stored!.slice(0, Math.floor(stored!.length / 2)), null);
      }
      const errors = errorsOf(cache);
      assert.equal(await cache.get(target), undefined);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.operation, 'decode');
      await cache.set(target, { fine: 'again' });
      assert.deepEqual((await cache.get(target))?.value, { fine: 'again' });
    });

    clearAndKeysCases(t, { backend: () => backend, create: () => options.create(), run, persistent, coherent: options.coherent ?? true });

    t.it(persistent ? 'keeps entries across close and reopen' : 'closes and opens again cleanly', async () => {
      await cache.set(k('reopen'), 'still here', { ttlMs: 60_000 });
      await cache.close();
      backend = await options.create();
      cache = new Cache({ backend, ttl: 60 });
      const hit = await cache.get(k('reopen'));
      if (persistent) assert.equal(hit?.value, 'still here');
      else assert.equal(hit, undefined);
      await cache.set(k('after-reopen'), 1);
      assert.equal((await cache.get(k('after-reopen')))?.value, 1);
    });
  });
}

/**
 * Checks that a built package exposes the same names to `require` and to `import`, by loading it in
 * fresh Node processes the way users do.
 */
export function runDualEntryCheck(t: TestApi, packageName: string): void {
  t.describe(`${packageName} entry points`, () => {
    t.it(
      'exposes the same names through require and import',
      async () => {
        const names = (args: string[]) => JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as string[];
        const viaRequire = names(['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(packageName)})).sort()))`]);
        const viaImport = names([
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(packageName)}); console.log(JSON.stringify(Object.keys(m).filter((n) => n !== 'default').sort()))`,
        ]);
        assert.ok(viaRequire.length > 0, 'require() exposed nothing');
        assert.deepEqual(viaImport, viaRequire);
      },
      30_000,
    );
  });
}
export { runSemanticBackendConformance } from './semantic';
export type { SemanticConformanceOptions } from './semantic';
export { CAPITAL, CAPITAL_LOOSE, CAPITAL_PARAPHRASE, EVEREST, VECTORS, tableEmbedder, user, vectorOf } from './semantic-phrasings';
export { withEnv } from './env';
export { exitOf, exitWithin, nodeProcess, printed } from './processes';
export type { Exit } from './processes';

/** The error `fn` throws, or undefined when it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
