import { randomUUID } from 'node:crypto';
import { Cache, type CacheBackendError } from '@llmcache/core';
import { QdrantRequestError, QdrantSemanticBackend } from '@llmcache/qdrant';
import { exitWithin, nodeProcess } from '@llmcache/test-suite';
import { PHRASES, TABLE, tableEmbedder } from './embedders';
import { startQdrant, type QdrantTestServer } from './qdrant-server';

let server: QdrantTestServer;
beforeAll(async () => {
  server = await startQdrant();
});
afterAll(() => server.stop());

const scope = 'c'.repeat(64);

/** A Cache over a backend on a fresh collection holding one entry by prompt and one by key, with its error events collected. */
async function cacheWithEntries(timeouts: { operationTimeoutMs: number; timeoutMs: number }) {
  const backend = new QdrantSemanticBackend({
    qdrantApiBase: server.url,
    qdrantCollectionName: `faults-${randomUUID()}`,
    embedder: tableEmbedder(TABLE),
    timeoutMs: timeouts.timeoutMs,
  });
  const cache = new Cache({ backend, similarityThreshold: 0.9, operationTimeoutMs: timeouts.operationTimeoutMs });
  const errors: CacheBackendError[] = [];
  cache.on('error', (err) => errors.push(err));
  await backend.setWithPrompt('k', PHRASES.capital, 'stored', null, { scope });
  expect(await cache.set('exact', 'by key')).toBe(true);
  return { backend, cache, errors };
}

/** Runs `fn` while the server is down, starting it again whatever happens. */
async function whileDown(fn: () => Promise<void>): Promise<void> {
  await server.stop();
  try {
    await fn();
  } finally {
    await server.start();
  }
}

describe('a Qdrant that is down', () => {
  it('makes reads misses and writes failures at once, each with an error event; hits resume when it is back', async () => {
    const { backend, cache, errors } = await cacheWithEntries({ operationTimeoutMs: 2000, timeoutMs: 2000 });
    await whileDown(async () => {
      const started = Date.now();
      expect(await cache.get('exact')).toBeUndefined();
      expect(await cache.set('other', 1)).toBe(false);
      expect(await cache.ping()).toBe(false);
      const lookup = await backend.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 }).catch((err: unknown) => err);
      expect(lookup).toBeInstanceOf(QdrantRequestError);
      expect((lookup as QdrantRequestError).status).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1000); // refused connections fail at once, far below the timeouts
      expect(errors.map((e) => e.operation)).toEqual(['get', 'set', 'ping']);
      expect(errors[0]!.cause).toBeInstanceOf(QdrantRequestError);
      expect(errors[0]!.message).toMatch(
        /^\[llmcache\]\[core\] qdrant get "exact": \[llmcache\]\[qdrant\] retrieve failed: fetch failed \(.*(closed|ECONNREFUSED).*\)$/,
      ); // a pooled socket that was cut, or a refused connection
    });
    expect((await cache.get('exact'))?.value).toBe('by key');
    await expect(backend.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 })).resolves.toMatchObject({ value: 'stored' });
    expect(await cache.ping()).toBe(true);
    await cache.close();
  });
});

describe('a Qdrant that stalls', () => {
  it('costs a read at most the timeout: a miss with an error event, and the request itself is abandoned by timeoutMs', async () => {
    const { backend, cache, errors } = await cacheWithEntries({ operationTimeoutMs: 300, timeoutMs: 200 });
    server.delayMs = 3000;
    try {
      let started = Date.now();
      expect(await cache.get('exact')).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(errors).toHaveLength(1);
      started = Date.now();
      // The first request's timeout told the backend that Qdrant is not answering: no second wait.
      await expect(backend.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 })).rejects.toThrow(/query failed: Qdrant is not answering/);
      expect(Date.now() - started).toBeLessThan(100);
    } finally {
      server.delayMs = 0;
    }
    expect((await hitWithin(cache, 'exact', 3000))?.value).toBe('by key');
    await cache.close();
  });
});

/** The entry at `key` once a read finds it, trying for up to `ms`. */
async function hitWithin(cache: Cache, key: string, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = await cache.get(key);
    if (hit || Date.now() > deadline) return hit;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a Qdrant that accepts requests and never answers', () => {
  it('costs one timeout, not one per request, and is used again once it answers', async () => {
    const timeoutMs = 300;
    const { backend, cache } = await cacheWithEntries({ operationTimeoutMs: 2000, timeoutMs });
    server.delayMs = 60_000;
    const ms: number[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const started = Date.now();
        // What one call does on a miss: a read, a lookup by prompt, a write.
        expect(await cache.get('exact')).toBeUndefined();
        await backend.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 }).catch(() => undefined);
        expect(await cache.set(`k${i}`, 'v')).toBe(false);
        ms.push(Date.now() - started);
      }
    } finally {
      server.delayMs = 0;
    }
    console.log(`never-answering Qdrant, timeoutMs ${timeoutMs}: read + lookup + write took ${ms.join(', ')} ms`);
    expect(ms[0]).toBeLessThan(timeoutMs * 2 + 500);
    expect(Math.max(...ms.slice(1))).toBeLessThan(50);
    expect((await hitWithin(cache, 'exact', 3000))?.value).toBe('by key');
    await cache.close();
  });
});

describe('the process', () => {
  it('is never kept alive by the backend: its sweep timer and idle connections let Node exit', async () => {
    const child = nodeProcess(`
      const { QdrantSemanticBackend } = require('@llmcache/qdrant');
      const table = ${JSON.stringify(TABLE)};
      const backend = new QdrantSemanticBackend({
        qdrantApiBase: ${JSON.stringify(server.url)},
        qdrantCollectionName: 'exit-${randomUUID()}',
        embedder: async (texts) => texts.map((t) => table[t]),
        sweepIntervalMs: 1000,
      });
      (async () => {
        await backend.setWithPrompt('k', ${JSON.stringify(PHRASES.capital)}, 'v', 60000, { scope: 's' });
        const match = await backend.findSimilar(${JSON.stringify(PHRASES.capitalReworded)}, { scope: 's', threshold: 0.9 });
        console.log(match.value);
        // No close(): the sweep timer is running and the client holds idle keep-alive connections.
      })().catch((err) => { console.error(err); process.exit(1); });
    `);
    const exit = await exitWithin(child, 5000);
    expect(exit).toMatchObject({ code: 0, stdout: 'v\n' });
  });
});
