import { randomUUID } from 'node:crypto';
import { CacheConfigError } from '@llmcache/core';
import { QdrantSemanticBackend, QdrantVectorSizeError, type QdrantSemanticBackendOptions } from '@llmcache/qdrant';
import { PHRASES, TABLE, tableEmbedder, type RecordingEmbedder } from './embedders';
import { startQdrant, type QdrantTestServer } from './qdrant-server';

let server: QdrantTestServer;
const opened: QdrantSemanticBackend[] = [];

beforeAll(async () => {
  server = await startQdrant();
});
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
  await server.stop();
});

/** A backend on a collection of its own, with the fixed-vector embedder. */
function backend(options: QdrantSemanticBackendOptions = {}): { backend: QdrantSemanticBackend; embedder: RecordingEmbedder; collection: string } {
  const embedder = tableEmbedder(TABLE);
  const collection = options.qdrantCollectionName ?? `semantic-${randomUUID()}`;
  const made = new QdrantSemanticBackend({ qdrantApiBase: server.url, qdrantCollectionName: collection, embedder, ...options });
  opened.push(made);
  return { backend: made, embedder, collection };
}

const scope = 'a'.repeat(64);
const otherScope = 'b'.repeat(64);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('findSimilar', () => {
  it('finds a reworded prompt of the same scope and says which entry it matched', async () => {
    const { backend: b } = backend();
    await b.setWithPrompt('key-capital', PHRASES.capital, 'Paris', null, { scope });
    const match = await b.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 });
    expect(match).toEqual({ key: 'key-capital', value: 'Paris', similarity: expect.closeTo(0.996, 3) });
    expect(await b.get('key-capital')).toBe('Paris');
  });

  it('does not match a prompt of another meaning', async () => {
    const { backend: b } = backend();
    await b.setWithPrompt('key-capital', PHRASES.capital, 'Paris', null, { scope });
    expect(await b.findSimilar(PHRASES.bread, { scope, threshold: 0.5 })).toBeUndefined();
  });

  it('matches a similarity exactly at the threshold, and not one just below it', async () => {
    const { backend: b } = backend();
    await b.setWithPrompt('key-north', PHRASES.north, 'up', null, { scope });
    expect(await b.findSimilar(PHRASES.northEast, { scope, threshold: 0.5 })).toMatchObject({ key: 'key-north', similarity: 0.5 });
    expect(await b.findSimilar(PHRASES.northEast, { scope, threshold: 0.5000001 })).toBeUndefined();
  });

  it('returns the closest of several candidates', async () => {
    const { backend: b } = backend();
    await b.setWithPrompt('key-north', PHRASES.north, 'up', null, { scope });
    await b.setWithPrompt('key-capital', PHRASES.capital, 'Paris', null, { scope });
    expect(await b.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.1 })).toMatchObject({ key: 'key-capital' });
  });

  it('never matches an entry of another scope', async () => {
    const { backend: b } = backend();
    await b.setWithPrompt('key-capital', PHRASES.capital, 'Paris', null, { scope });
    expect(await b.findSimilar(PHRASES.capital, { scope: otherScope, threshold: 0.5 })).toBeUndefined();
    expect(await b.findSimilar(PHRASES.capital, { scope, threshold: 0.5 })).toMatchObject({ key: 'key-capital' });
  });

  it('never matches an entry of another namespace, or a namespaced entry without one', async () => {
    const { backend: b } = backend();
    await b.setWithPrompt('team-a:key', PHRASES.capital, 'for a', null, { namespace: 'team-a', scope });
    expect(await b.findSimilar(PHRASES.capital, { namespace: 'team-b', scope, threshold: 0.5 })).toBeUndefined();
    expect(await b.findSimilar(PHRASES.capital, { scope, threshold: 0.5 })).toBeUndefined();
    expect(await b.findSimilar(PHRASES.capital, { namespace: 'team-a', scope, threshold: 0.5 })).toMatchObject({ value: 'for a' });
    await b.setWithPrompt('key', PHRASES.capital, 'no namespace', null, { scope });
    expect(await b.findSimilar(PHRASES.capital, { scope, threshold: 0.5 })).toMatchObject({ value: 'no namespace' });
    expect(await b.findSimilar(PHRASES.capital, { namespace: 'team-a', scope, threshold: 0.5 })).toMatchObject({ value: 'for a' });
  });

  it('never matches an expired entry, and get does not serve it either', async () => {
    const { backend: b } = backend();
    await b.setWithPrompt('short', PHRASES.capital, 'soon gone', 150, { scope });
    await b.setWithPrompt('long', PHRASES.bread, 'stays', 60_000, { scope });
    expect(await b.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 })).toMatchObject({ key: 'short' });
    await sleep(300);
    expect(await b.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 })).toBeUndefined();
    expect(await b.get('short')).toBeUndefined();
    expect(await b.findSimilar(PHRASES.bread, { scope, threshold: 0.9 })).toMatchObject({ key: 'long' });
  });

  it('does not match an entry written by key only (it has no prompt)', async () => {
    const { backend: b } = backend();
    await b.setWithPrompt('other', PHRASES.bread, 'bread', null, { scope });
    await b.set('plain', 'by key', null);
    expect(await b.findSimilar(PHRASES.capital, { scope, threshold: 0.01 })).toBeUndefined();
    expect(await b.get('plain')).toBe('by key');
  });

  it('embeds nothing while the collection does not exist, and answers undefined', async () => {
    const { backend: b, embedder } = backend();
    expect(await b.findSimilar(PHRASES.capital, { scope, threshold: 0.5 })).toBeUndefined();
    expect(embedder.texts).toEqual([]);
  });

  it('answers undefined without an embedder and stores by key only, and works once one is set', async () => {
    const collection = `semantic-${randomUUID()}`;
    await backend({ qdrantCollectionName: collection }).backend.setWithPrompt('k', PHRASES.capital, 'Paris', null, { scope });
    const bare = new QdrantSemanticBackend({ qdrantApiBase: server.url, qdrantCollectionName: collection });
    opened.push(bare);
    expect(bare.embeddingModel).toBe('text-embedding-ada-002');
    expect(await bare.findSimilar(PHRASES.capital, { scope, threshold: 0.5 })).toBeUndefined();
    await bare.setWithPrompt('k2', PHRASES.bread, 'by key only', null, { scope });
    expect(await bare.get('k2')).toBe('by key only');
    bare.setEmbedder(tableEmbedder(TABLE));
    expect(await bare.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 })).toMatchObject({ value: 'Paris' });
    expect(await bare.findSimilar(PHRASES.bread, { scope, threshold: 0.9 })).toBeUndefined(); // stored without a vector
  });

  it('takes a plain function as the embedder', async () => {
    const texts: string[] = [];
    const { backend: b } = backend({
      embedder: async (inputs) => inputs.map((t) => (texts.push(t), TABLE[t]!)),
    });
    await b.setWithPrompt('k', PHRASES.capital, 'Paris', null, { scope });
    expect(await b.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 })).toMatchObject({ value: 'Paris' });
    expect(texts).toEqual([PHRASES.capital, PHRASES.capitalReworded]);
  });

  it('rejects what an embedder returns when it is not one vector of numbers per text', async () => {
    const { backend: b, collection } = backend({ embedder: async () => [[1, Number.NaN]] });
    await expect(b.setWithPrompt('k', 'anything', 'v', null, { scope })).rejects.toThrow('[qdrant] the embedder answered a vector holding NaN');
    const { backend: none } = backend({ embedder: async () => [] });
    await expect(none.setWithPrompt('k', 'anything', 'v', null, { scope })).rejects.toThrow('[qdrant] the embedder answered no vector');
    expect(server.collections.has(collection)).toBe(false);
  });

  it('stops waiting as soon as the signal fires', async () => {
    const { backend: b } = backend();
    await b.setWithPrompt('k', PHRASES.capital, 'Paris', null, { scope });
    server.delayMs = 1000;
    try {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(new Error('caller left')), 50);
      await expect(b.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9, signal: controller.signal })).rejects.toThrow('caller left');
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      server.delayMs = 0;
    }
  });
});

describe('the collection', () => {
  it('is created on the first write with cosine distance, the size of the first embedding and payload indexes on the scope fields', async () => {
    const { backend: b, collection } = backend();
    expect(server.collections.has(collection)).toBe(false);
    await b.setWithPrompt('k', PHRASES.capital, 'Paris', 60_000, { namespace: 'ns', scope });
    const created = server.calls(new RegExp(`^PUT /collections/${collection}$`));
    expect(created).toHaveLength(1);
    expect(created[0]!.body).toEqual({ vectors: { prompt: { size: 4, distance: 'Cosine' } }, quantization_config: { binary: { always_ram: false } } });
    const indexes = server.calls(new RegExp(`^PUT /collections/${collection}/index`)).map((r) => r.body);
    expect(indexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field_name: 'namespace', field_schema: 'keyword' }),
        expect.objectContaining({ field_name: 'scope', field_schema: 'keyword' }),
        expect.objectContaining({ field_name: 'expires_at', field_schema: 'integer' }),
      ]),
    );
    expect(indexes).toHaveLength(3);
  });

  it('is not created by an entry without a prompt before any embedding told the size: that entry is declined', async () => {
    const { backend: b, embedder, collection } = backend();
    expect(await b.set('plain', 'v', null)).toBe(false);
    expect(await b.setMany([{ key: 'plain', value: 'v', ttlMs: null }])).toBe(false);
    expect(server.collections.has(collection)).toBe(false);
    expect(embedder.texts).toEqual([]); // creating a collection never embeds: the embedder may be a router caching here
    await b.setWithPrompt('k', PHRASES.capital, 'Paris', null, { scope });
    expect(await b.set('plain', 'v', null)).toBe(true);
    expect(await b.get('plain')).toBe('v');
  });

  it('is created by an entry without a prompt once an embedding told the size', async () => {
    const { backend: b, collection } = backend();
    await b.setWithPrompt('k', PHRASES.capital, 'Paris', null, { scope });
    server.collections.delete(collection);
    expect(await b.set('plain', 'v', null)).toBe(true);
    expect(server.calls(new RegExp(`^PUT /collections/${collection}$`)).at(-1)!.body).toMatchObject({ vectors: { prompt: { size: 4 } } });
    expect(await b.get('plain')).toBe('v');
  });

  it.each([
    ['scalar', { scalar: { type: 'int8', quantile: 0.99, always_ram: false } }],
    ['product', { product: { compression: 'x16', always_ram: false } }],
  ] as const)('is created with %s quantization when asked', async (qdrantQuantizationConfig, expected) => {
    const { backend: b, collection } = backend({ qdrantQuantizationConfig });
    await b.setWithPrompt('k', PHRASES.capital, 'Paris', null, { scope });
    expect(server.calls(new RegExp(`^PUT /collections/${collection}$`))[0]!.body).toMatchObject({ quantization_config: expected });
  });

  it('is created once when many writes race on a new collection, also from two backends', async () => {
    const collection = `semantic-${randomUUID()}`;
    const one = backend({ qdrantCollectionName: collection }).backend;
    const two = backend({ qdrantCollectionName: collection }).backend;
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => one.setWithPrompt(`a${i}`, PHRASES.capital, 'x', null, { scope })),
      ...Array.from({ length: 5 }, (_, i) => two.setWithPrompt(`b${i}`, PHRASES.bread, 'y', null, { scope })),
    ]);
    expect(server.calls(new RegExp(`^PUT /collections/${collection}$`)).length).toBeLessThanOrEqual(2); // the second is answered 409 and used as it is
    expect(server.collections.get(collection)!.points.size).toBe(10);
  });

  it('is created again when someone deletes it', async () => {
    const { backend: b, collection } = backend();
    await b.setWithPrompt('k', PHRASES.capital, 'Paris', null, { scope });
    server.collections.delete(collection);
    expect(await b.get('k')).toBeUndefined();
    expect(await b.findSimilar(PHRASES.capital, { scope, threshold: 0.5 })).toBeUndefined();
    await b.setWithPrompt('k', PHRASES.capital, 'Paris again', null, { scope });
    expect(await b.findSimilar(PHRASES.capitalReworded, { scope, threshold: 0.9 })).toMatchObject({ value: 'Paris again' });
    server.collections.delete(collection); // and now a write is the first to find out
    await b.setWithPrompt('k', PHRASES.capital, 'Paris once more', null, { scope });
    expect(await b.get('k')).toBe('Paris once more');
  });

  it('of another vector size is a QdrantVectorSizeError naming it and both sizes, on writes and lookups', async () => {
    const collection = `semantic-${randomUUID()}`;
    const { backend: six } = backend({ qdrantCollectionName: collection, embedder: async (texts) => texts.map(() => [1, 2, 3, 4, 5, 6]) });
    await six.setWithPrompt('k', 'any prompt', 'v', null, { scope });
    const { backend: four } = backend({ qdrantCollectionName: collection });
    const write = four.setWithPrompt('k4', PHRASES.capital, 'Paris', null, { scope }).catch((err: unknown) => err);
    const error = (await write) as QdrantVectorSizeError;
    expect(error).toBeInstanceOf(QdrantVectorSizeError);
    expect(error).toBeInstanceOf(CacheConfigError);
    expect(error).toMatchObject({ collection, collectionSize: 6, embeddingSize: 4, option: 'qdrantCollectionName' });
    expect(error.message).toContain(`collection "${collection}" holds vectors of size 6 but the embedding model gives 4`);
    await expect(four.findSimilar(PHRASES.capital, { scope, threshold: 0.5 })).rejects.toBeInstanceOf(QdrantVectorSizeError);
    expect(await four.get('k')).toBe('v'); // reads by key still work
    expect(server.calls(new RegExp(`^PUT /collections/${collection}/points`))).toHaveLength(1); // the mismatched write never reached Qdrant
  });

  it('that was not made for llmcache is a CacheConfigError naming it', async () => {
    const collection = `foreign-${randomUUID()}`;
    server.collections.set(collection, { vectorsConfig: { size: 4, distance: 'Cosine' }, quantization: null, points: new Map(), payloadSchema: new Map() });
    const { backend: b } = backend({ qdrantCollectionName: collection });
    await expect(b.setWithPrompt('k', PHRASES.capital, 'Paris', null, { scope })).rejects.toThrow(
      new RegExp(`qdrantCollectionName: collection "${collection}" has no named vectors; llmcache keeps its entries under a cosine vector named "prompt"`),
    );
    const dot = `dot-${randomUUID()}`;
    server.collections.set(dot, { vectorsConfig: { prompt: { size: 4, distance: 'Dot' } }, quantization: null, points: new Map(), payloadSchema: new Map() });
    await expect(backend({ qdrantCollectionName: dot }).backend.findSimilar(PHRASES.capital, { scope, threshold: 0.5 })).rejects.toThrow(
      /compares "prompt" vectors by Dot/,
    );
  });

  it('made by another process is used as it is, with the payload indexes it lacks added', async () => {
    const collection = `existing-${randomUUID()}`;
    server.collections.set(collection, {
      vectorsConfig: { prompt: { size: 4, distance: 'Cosine' } },
      quantization: null,
      points: new Map(),
      payloadSchema: new Map([['scope', 'keyword']]),
    });
    const { backend: b } = backend({ qdrantCollectionName: collection });
    await b.setWithPrompt('k', PHRASES.capital, 'Paris', null, { scope });
    expect(server.calls(new RegExp(`^PUT /collections/${collection}$`))).toEqual([]);
    expect(
      server
        .calls(new RegExp(`^PUT /collections/${collection}/index`))
        .map((r) => (r.body as { field_name: string }).field_name)
        .sort(),
    ).toEqual(['expires_at', 'namespace']);
  });
});

describe('expired entries', () => {
  it('are deleted from the collection by sweep(), and the live ones kept', async () => {
    const { backend: b, collection } = backend();
    await b.setWithPrompt('short', PHRASES.capital, 'x', 100, { scope });
    await b.set('plain-short', 'y', 100);
    await b.set('forever', 'z', null);
    await b.setWithPrompt('long', PHRASES.bread, 'w', 60_000, { scope });
    await sleep(200);
    await b.sweep();
    expect([...server.collections.get(collection)!.points.values()].map((p) => p.payload.key).sort()).toEqual(['forever', 'long']);
  });

  it('are deleted in the background every sweepIntervalMs once the collection is known', async () => {
    const { backend: b, collection } = backend({ sweepIntervalMs: 100 });
    await b.setWithPrompt('short', PHRASES.capital, 'x', 50, { scope });
    await b.set('forever', 'z', null);
    await sleep(400);
    expect([...server.collections.get(collection)!.points.values()].map((p) => p.payload.key)).toEqual(['forever']);
    expect(server.calls(new RegExp(`^POST /collections/${collection}/points/delete`)).length).toBeGreaterThanOrEqual(2);
  });

  it('are swept no more after close()', async () => {
    const { backend: b, collection } = backend({ sweepIntervalMs: 50 });
    await b.setWithPrompt('k', PHRASES.capital, 'v', null, { scope });
    await b.close();
    const sweeps = () => server.calls(new RegExp(`^POST /collections/${collection}/points/delete`)).length;
    const before = sweeps();
    await sleep(200);
    expect(sweeps()).toBe(before);
    await expect(b.get('k')).rejects.toThrow(/closed/);
  });
});
