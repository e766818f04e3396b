import assert from 'node:assert/strict';
import { Cache, cacheKey, semanticQuery, type EmbedFunction, type Embedder, type SemanticBackend } from '@llmcache/core';
import type { TestApi } from './test-api';
import { CAPITAL, CAPITAL_LOOSE, CAPITAL_PARAPHRASE, EVEREST, tableEmbedder, user } from './semantic-phrasings';

export interface SemanticConformanceOptions {
  /** Shown in test names. */
  name: string;
  /**
   * Opens a backend with this embedder on the store named `store` (an index, a collection): backends
   * opened on one name share their entries, as processes do; each test uses names of its own.
   */
  create(options: { store: string; embedder: Embedder | EmbedFunction }): Promise<SemanticBackend> | SemanticBackend;
  /** Runs after the suite, e.g. to delete what it stored. */
  cleanup?(): Promise<void> | void;
}

interface Ask {
  model?: string;
  namespace?: string;
  params?: Record<string, unknown>;
}

/** A chat call through Cache.wrap as the router makes it: exact key first, then the semantic query. */
async function ask(cache: Cache, content: unknown, { model = 'chat', namespace, params = {} }: Ask = {}) {
  const request = { messages: user(content), ...params };
  const key = cacheKey({ callType: 'completion', model, params: request, namespace });
  let computed = 0;
  const control = cache.resolveControl('completion', namespace === undefined ? undefined : { namespace });
  const result = await cache.wrap(key, async () => ({ answer: `computed #${++computed} for ${JSON.stringify(content)}` }), {
    control,
    semantic: () => semanticQuery({ callType: 'completion', model, params: request, namespace }),
  });
  return { ...result, key };
}

/** Like jest's toBeCloseTo(expected, digits). */
function closeTo(actual: number | undefined, expected: number, digits: number): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 10 ** -digits / 2, `${actual} is not ${expected} to ${digits} digits`);
}

/**
 * The behaviour every semantic backend shows through `Cache`, as the router uses it: the exact key first,
 * then the closest prompt of the same scope at or above the threshold. Run it after the exact-match suite
 * (`runBackendConformance`): a semantic backend is an ordinary backend first. The embedder is a fixed
 * table of four-dimension vectors with known cosines (0.9, 0.8, 0).
 */
export function runSemanticBackendConformance(t: TestApi, options: SemanticConformanceOptions): void {
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const opened: Cache[] = [];
  let stores = 0;

  /** A cache on a store of its own (or on `store`, to share it), with the table embedder. */
  const open = async (similarityThreshold = 0.85, store = `semantic-${run}-${++stores}`) => {
    const embedder = tableEmbedder();
    const cache = new Cache({ backend: await options.create({ store, embedder }), similarityThreshold });
    const hits: { key: string; ageMs: number; similarity?: number }[] = [];
    cache.on('hit', (hit) => hits.push(hit));
    cache.on('error', () => {}); // counted in stats; a test that expects none says so
    opened.push(cache);
    return { cache, embedder, hits };
  };

  t.describe(`${options.name} semantic backend conformance`, () => {
    t.afterAll(async () => {
      await Promise.all(opened.splice(0).map((cache) => cache.close()));
      await options.cleanup?.();
    });

    t.it('serves a paraphrase above the threshold and not an unrelated prompt; an exact hit makes no embedding call', async () => {
      const { cache, embedder, hits } = await open();
      const first = await ask(cache, CAPITAL);
      assert.equal(first.source, 'computed');
      assert.deepEqual(embedder.calls, [`user: ${CAPITAL}`]); // looked up, then stored with the same vector

      const again = await ask(cache, CAPITAL);
      assert.deepEqual(
        { value: again.value, source: again.source, similarity: again.similarity },
        { value: first.value, source: 'cache', similarity: undefined },
      );
      assert.equal('similarity' in again, false);
      assert.equal(embedder.calls.length, 1);

      const paraphrase = await ask(cache, CAPITAL_PARAPHRASE);
      assert.deepEqual({ value: paraphrase.value, source: paraphrase.source }, { value: first.value, source: 'cache' });
      closeTo(paraphrase.similarity, 0.9, 6);
      assert.equal(embedder.calls.length, 2);
      assert.deepEqual(embedder.calls, [`user: ${CAPITAL}`, `user: ${CAPITAL_PARAPHRASE}`]);
      // The semantic hit is announced under the matched entry's key, with its similarity.
      assert.deepEqual(
        hits.map(({ key, similarity }) => ({ key, similarity })),
        [
          { key: first.key, similarity: undefined },
          { key: first.key, similarity: paraphrase.similarity },
        ],
      );
      assert.ok(hits.every((hit) => typeof hit.ageMs === 'number'));

      const unrelated = await ask(cache, EVEREST);
      assert.equal(unrelated.source, 'computed');
      assert.deepEqual({ hits: cache.stats().hits, misses: cache.stats().misses }, { hits: 2, misses: 2 });
    });

    t.it('serves concurrent paraphrases with one lookup, and counts each call once', async () => {
      const { cache, embedder } = await open();
      await ask(cache, CAPITAL);
      const answers = await Promise.all(Array.from({ length: 5 }, () => ask(cache, CAPITAL_PARAPHRASE)));
      assert.deepEqual(
        answers.map((a) => a.source),
        Array(5).fill('cache'),
      );
      assert.equal(
        answers.every((a) => a.similarity !== undefined && Math.abs(a.similarity - 0.9) < 1e-6),
        true,
      );
      assert.deepEqual(embedder.calls, [`user: ${CAPITAL}`, `user: ${CAPITAL_PARAPHRASE}`]);
      assert.deepEqual({ hits: cache.stats().hits, misses: cache.stats().misses }, { hits: 5, misses: 1 });
    });

    t.it('draws the line at the threshold itself (cosine 0.8: a hit at 0.8, a miss at 0.8001)', async () => {
      const at = await open(0.8);
      await ask(at.cache, CAPITAL);
      const hit = await ask(at.cache, CAPITAL_LOOSE);
      assert.equal(hit.source, 'cache');
      closeTo(hit.similarity, 0.8, 6);

      const above = await open(0.8001);
      await ask(above.cache, CAPITAL);
      assert.equal((await ask(above.cache, CAPITAL_LOOSE)).source, 'computed');
      assert.equal((await ask(above.cache, CAPITAL_PARAPHRASE)).source, 'cache'); // 0.9 is still above it
    });

    t.it('never matches across model identities, output-affecting params or namespaces', async () => {
      const { cache } = await open();
      await ask(cache, CAPITAL, { model: 'group-a', params: { temperature: 0 }, namespace: 'team-1' });
      assert.equal((await ask(cache, CAPITAL_PARAPHRASE, { model: 'group-b', params: { temperature: 0 }, namespace: 'team-1' })).source, 'computed');
      assert.equal((await ask(cache, CAPITAL_PARAPHRASE, { model: 'group-a', params: { temperature: 1 }, namespace: 'team-1' })).source, 'computed');
      assert.equal((await ask(cache, CAPITAL_PARAPHRASE, { model: 'group-a', params: { temperature: 0 }, namespace: 'team-2' })).source, 'computed');
      assert.equal((await ask(cache, CAPITAL_PARAPHRASE, { model: 'group-a', params: { temperature: 0 } })).source, 'computed');
      // Transport params are not part of the scope, as they are not part of the key.
      const same = await ask(cache, CAPITAL_PARAPHRASE, { model: 'group-a', params: { temperature: 0, timeout: 5 }, namespace: 'team-1' });
      assert.equal(same.source, 'cache');
    });

    t.it('embeds multi-part content as its text, and keeps non-text parts in the scope', async () => {
      const { cache, embedder } = await open();
      const first = await ask(cache, CAPITAL);
      const parts = await ask(cache, [{ type: 'text', text: CAPITAL }]);
      assert.equal(parts.source, 'cache');
      closeTo(parts.similarity, 1, 6);
      assert.equal(embedder.calls.at(-1), `user: ${CAPITAL}`);
      // Text split over several parts is embedded as the one text it reads as.
      const split = await ask(cache, [
        { type: 'text', text: 'What is the capital' },
        { type: 'text', text: 'of France?' },
      ]);
      assert.deepEqual({ value: split.value, source: split.source }, { value: first.value, source: 'cache' });
      closeTo(split.similarity, 1, 6);
      // An image is a placeholder in the text (the same vector whatever the image) and a part of the scope.
      const image = (url: string) => [
        { type: 'text', text: CAPITAL },
        { type: 'image_url', image_url: { url } },
      ];
      const withImage = await ask(cache, image('https://example.com/a.png'));
      assert.equal(withImage.source, 'computed');
      assert.equal(embedder.calls.at(-1), `user: ${CAPITAL} [image_url]`);
      const sameImage = await ask(cache, image('https://example.com/a.png'));
      assert.deepEqual({ value: sameImage.value, source: sameImage.source }, { value: withImage.value, source: 'cache' });
      assert.equal((await ask(cache, image('https://example.com/b.png'))).source, 'computed');
    });

    t.it('shares entries between processes on the same store', async () => {
      const store = `shared-${run}`;
      const a = await open(0.85, store);
      const b = await open(0.85, store);
      const stored = await ask(a.cache, CAPITAL);
      const found = await ask(b.cache, CAPITAL_PARAPHRASE);
      assert.deepEqual({ value: found.value, source: found.source }, { value: stored.value, source: 'cache' });
    });

    t.it('takes a deleted entry out of the index', async () => {
      const { cache } = await open();
      const stored = await ask(cache, CAPITAL);
      await cache.delete(stored.key);
      assert.equal((await ask(cache, CAPITAL_PARAPHRASE)).source, 'computed');
    });
  });
}
