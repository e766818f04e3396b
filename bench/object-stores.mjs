// Object-store cases of `npm run bench` (S3, and Azure Blob and GCS as they join), each against its own
// test server on 127.0.0.1 and measured side by side in one process: a hit through router.completion()
// with the memory tier off against the raw SDK read of the same object, and the write a miss makes
// against the raw SDK write of the same bytes. The floor is always the store's own SDK, never our code.
// Standalone: node bench/object-stores.mjs
import { fileURLToPath } from 'node:url';
import { Cache } from '@llmcache/core';
import { encodeEntry } from '@llmcache/core/internal';
import { Router } from '@llmcache/router';
import { chatRequest, chatResponse } from './fixtures.mjs';
import { compare, ratioOf, us } from './harness.mjs';
import { gcsStore } from './gcs.mjs';
import { azureBlobStore } from './azure-blob.mjs';
import { s3Store } from './s3.mjs';

/** Highest ratio to the raw SDK call that counts as ok, for reads and for writes. */
const TARGET = 1.15;

/**
 * @typedef {object} StartedStore
 * @property {object} cacheOptions `new Cache({ type, ...cacheOptions })` reaches the test server with these.
 * @property {(name: string) => Promise<string>} rawRead The raw SDK read of object `name`, body as a string.
 * @property {Record<string, (name: string) => Promise<string>>} [otherRawReads] Other SDK reads of the object worth
 *   showing beside the floor (e.g. a convenience call that costs more requests), each with the hit's ratio to it.
 * @property {(name: string, body: string) => Promise<void>} rawWrite The raw SDK write of `body` (one request, from a Buffer).
 * @property {() => Promise<void>} stop Releases the SDK client and stops the server.
 *
 * @typedef {object} ObjectStoreCase
 * @property {string} name The cache type: 's3', 'azure-blob', 'gcs'.
 * @property {() => Promise<StartedStore>} start Starts the store's test server (with its bucket or container).
 */

/**
 * Measures one object store; returns rows shaped as bench/run.mjs's (case, µs/op, ratio to floor, target, result).
 * @param {ObjectStoreCase} store
 */
export async function benchObjectStore({ name, start }) {
  const started = await start();
  const cache = new Cache({ type: name, ...started.cacheOptions, memoryTier: false, namespace: `bench-${Date.now()}` });
  const router = new Router({
    modelList: [{ modelName: 'gpt-3.5', params: { model: 'openai/gpt-3.5-turbo', mockResponse: chatResponse.choices[0].message.content } }],
    cache,
  });
  try {
    await router.completion(chatRequest);
    const key = router.cacheKey(chatRequest);
    // memoryTier: false, so the backend is the ObjectStoreBackend itself and names the object.
    const objectName = cache.backend.objectName(key);
    const stored = await started.rawRead(objectName);

    const routerHit = async () => {
      const res = await router.completion(chatRequest);
      if (!res._hiddenParams.cacheHit) throw new Error(`bench: expected a ${name} hit`);
    };
    const rawRead = async () => {
      if ((await started.rawRead(objectName)) !== stored) throw new Error(`bench: the raw ${name} read came back different`);
    };
    // The write a miss makes once the answer is back (Cache.set: envelope, metadata, one upload), and the
    // raw upload of the same envelope's bytes, each to an object of its own at the same depth.
    const writeKey = `${key.slice(0, -1)}w`;
    const rawName = cache.backend.objectName(`${key.slice(0, -1)}r`);
    const envelope = encodeEntry(chatResponse, Date.now(), Date.now() + 600_000);
    const cacheWrite = async () => {
      if (!(await cache.set(writeKey, chatResponse))) throw new Error(`bench: a ${name} write failed`);
    };
    const rawWrite = () => started.rawWrite(rawName, envelope);

    const others = Object.entries(started.otherRawReads ?? {}).map(([label, read]) => [
      label,
      async () => {
        if ((await read(objectName)) !== stored) throw new Error(`bench: the raw ${name} ${label} came back different`);
      },
    ]);
    const r = await compare({ rawRead, routerHit, ...Object.fromEntries(others), rawWrite, cacheWrite });
    const readRatio = ratioOf(r.routerHit, r.rawRead);
    const writeRatio = ratioOf(r.cacheWrite, r.rawWrite);
    const otherRows = others.map(([label]) => {
      const hitRatio = ratioOf(r.routerHit, r[label]);
      return {
        case: `${name}: raw SDK ${label}() of the same entry`,
        'µs/op': us(r[label].medianNs),
        'ratio to floor': ratioOf(r[label], r.rawRead),
        target: `hit ≤ ${TARGET}× this (is ${hitRatio}×)`,
        result: hitRatio <= TARGET ? 'ok' : 'MISSED',
      };
    });
    return [
      {
        case: `${name}: raw SDK read of the stored entry (${stored.length} bytes)`,
        'µs/op': us(r.rawRead.medianNs),
        'ratio to floor': 1,
        target: '',
        result: '',
      },
      {
        case: `${name}: hit through router.completion(), memory tier off`,
        'µs/op': us(r.routerHit.medianNs),
        'ratio to floor': readRatio,
        target: `≤ ${TARGET}× raw read`,
        result: readRatio <= TARGET ? 'ok' : 'MISSED',
      },
      ...otherRows,
      { case: `${name}: raw SDK write of the same bytes`, 'µs/op': us(r.rawWrite.medianNs), 'ratio to floor': 1, target: '', result: '' },
      {
        case: `${name}: the write of a miss (Cache.set of the answer)`,
        'µs/op': us(r.cacheWrite.medianNs),
        'ratio to floor': writeRatio,
        target: `≤ ${TARGET}× raw write`,
        result: writeRatio <= TARGET ? 'ok' : 'MISSED',
      },
    ];
  } finally {
    await router.close();
    await started.stop();
  }
}

/**
 * Every object store `npm run bench` measures, in turn. Azure Blob and GCS: add your `{ name, start }`
 * here (from bench/azure-blob.mjs, bench/gcs.mjs, shaped as bench/s3.mjs).
 */
const STORES = [s3Store, gcsStore, azureBlobStore];

export async function objectStoresBench() {
  const rows = [];
  for (const store of STORES) rows.push(...(await benchObjectStore(store)));
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { report } = await import('./harness.mjs');
  report('llmcache object-store bench (memory tier off, against the raw SDK call)', await objectStoresBench());
}
