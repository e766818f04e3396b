// Through core's Cache, as the router uses it: the exact key first, then the closest prompt of the same
// scope, the computed answer stored with its prompt.
import { randomUUID } from 'node:crypto';
import { Cache, cacheKey, messagesText, semanticQuery, type CacheBackendError } from '@llmcache/core';
import { QdrantSemanticBackend, QdrantVectorSizeError } from '@llmcache/qdrant';
import { PHRASES, TABLE, tableEmbedder, type RecordingEmbedder } from './embedders';
import { startQdrant, type QdrantTestServer } from './qdrant-server';

let server: QdrantTestServer;
beforeAll(async () => {
  server = await startQdrant();
});
afterAll(() => server.stop());

type Message = { role: string; content: string | { type: string; text?: string; image_url?: { url: string } }[] };

const user = (content: Message['content']): Message[] => [{ role: 'user', content }];
const withImage = (url: string) => user([{ type: 'text', text: PHRASES.northEast }, { type: 'image_url', image_url: { url } }]);

/** The fixed vectors, under the text core embeds for a one-message chat (an image is a placeholder in it). */
const CHAT_TABLE = {
  ...Object.fromEntries(Object.entries(TABLE).map(([text, vector]) => [messagesText(user(text)), vector])),
  [messagesText(withImage('any'))]: TABLE[PHRASES.northEast]!,
};

function setUp(options: { similarityThreshold?: number; embedder?: RecordingEmbedder; collection?: string } = {}) {
  const embedder = options.embedder ?? tableEmbedder(CHAT_TABLE);
  const cache = new Cache({
    type: 'qdrant-semantic',
    qdrantApiBase: server.url,
    qdrantCollectionName: options.collection ?? `cache-${randomUUID()}`,
    similarityThreshold: options.similarityThreshold ?? 0.9,
    embedder,
    operationTimeoutMs: 1000,
  });
  const errors: CacheBackendError[] = [];
  const hits: { key: string; similarity?: number }[] = [];
  cache.on('error', (err) => errors.push(err));
  cache.on('hit', (hit) => hits.push(hit));
  let computed = 0;
  /** One chat call through `cache.wrap`, answering `answer` when it has to compute. */
  const ask = (messages: Message[], answer: string, call: { model?: string; namespace?: string } = {}) => {
    const control = cache.resolveControl('completion', call.namespace ? { namespace: call.namespace } : undefined);
    const input = { callType: 'completion', model: call.model ?? 'gpt-4o', params: { messages }, namespace: control.namespace };
    return cache.wrap(cacheKey(input), async () => (computed++, answer), { control, semantic: () => semanticQuery(input) });
  };
  return { cache, embedder, errors, hits, ask, computed: () => computed };
}


describe('a semantic Cache on Qdrant', () => {
  it('serves a reworded question from the first answer, embedding each prompt once', async () => {
    const { cache, embedder, hits, ask, computed } = setUp();
    expect(await ask(user(PHRASES.capital), 'Paris')).toEqual({ value: 'Paris', source: 'computed' });
    const again = await ask(user(PHRASES.capitalReworded), 'not asked');
    expect(again).toEqual({ value: 'Paris', source: 'cache', similarity: expect.closeTo(0.996, 3) });
    expect(computed()).toBe(1);
    const firstKey = cacheKey({ callType: 'completion', model: 'gpt-4o', params: { messages: user(PHRASES.capital) } });
    expect(hits).toEqual([{ key: firstKey, ageMs: expect.any(Number), similarity: again.similarity }]);
    // The miss's lookup and the write after it share one embedding.
    expect(embedder.texts).toEqual([`user: ${PHRASES.capital}`, `user: ${PHRASES.capitalReworded}`]);
    await cache.close();
  });

  it('answers the same question by its exact key, without embedding it again', async () => {
    const { cache, embedder, ask } = setUp();
    await ask(user(PHRASES.capital), 'Paris');
    const texts = embedder.texts.length;
    expect(await ask(user(PHRASES.capital), 'not asked')).toEqual({ value: 'Paris', source: 'cache' });
    expect(embedder.texts).toHaveLength(texts);
    await cache.close();
  });

  it("keeps to the cache's similarityThreshold", async () => {
    const { cache, ask, computed } = setUp({ similarityThreshold: 0.999 });
    await ask(user(PHRASES.capital), 'Paris');
    expect(await ask(user(PHRASES.capitalReworded), 'computed again')).toMatchObject({ source: 'computed' });
    expect(computed()).toBe(2);
    await cache.close();
  });

  it('matches multi-part text content by its text, and never across another image', async () => {
    const { cache, ask, computed } = setUp();
    await ask(user(PHRASES.capital), 'Paris');
    const parts = user([
      { type: 'text', text: 'What is the capital' },
      { type: 'text', text: 'of France?' },
    ]);
    expect(await ask(parts, 'not asked')).toEqual({ value: 'Paris', source: 'cache', similarity: expect.closeTo(1, 6) });
    await ask(withImage('https://example.com/a.png'), 'about picture a');
    expect(await ask(withImage('https://example.com/a.png'), 'not asked')).toMatchObject({ value: 'about picture a', source: 'cache' });
    expect(await ask(withImage('https://example.com/b.png'), 'about picture b')).toMatchObject({ value: 'about picture b', source: 'computed' });
    expect(computed()).toBe(3);
    await cache.close();
  });

  it('never serves another model or namespace', async () => {
    const { cache, ask, computed } = setUp();
    await ask(user(PHRASES.capital), 'Paris from gpt-4o');
    expect(await ask(user(PHRASES.capitalReworded), 'from claude', { model: 'claude' })).toMatchObject({ value: 'from claude', source: 'computed' });
    expect(await ask(user(PHRASES.capitalReworded), 'for team b', { namespace: 'team-b' })).toMatchObject({ value: 'for team b', source: 'computed' });
    expect(computed()).toBe(3);
    await cache.close();
  });

  it('goes upstream with error events when the collection was made by another embedding model', async () => {
    const collection = `cache-${randomUUID()}`;
    const six = new QdrantSemanticBackend({ qdrantApiBase: server.url, qdrantCollectionName: collection, embedder: async (texts) => texts.map(() => [1, 2, 3, 4, 5, 6]) });
    await six.setWithPrompt('someone-else', 'any prompt', 'v', null, { scope: 'another' });
    const { cache, errors, ask, computed } = setUp({ collection });
    expect(await ask(user(PHRASES.capital), 'Paris')).toEqual({ value: 'Paris', source: 'computed' });
    expect(await ask(user(PHRASES.capitalReworded), 'Paris again')).toEqual({ value: 'Paris again', source: 'computed' });
    expect(computed()).toBe(2);
    expect(errors.map((e) => e.operation)).toEqual(['findSimilar', 'set', 'findSimilar', 'set']);
    expect(errors.every((e) => e.cause instanceof QdrantVectorSizeError)).toBe(true);
    await cache.close();
  });

  it('goes upstream with error events while Qdrant is down, and serves again once it is back', async () => {
    const { cache, errors, ask, computed } = setUp();
    await ask(user(PHRASES.capital), 'Paris');
    await server.stop();
    try {
      expect(await ask(user(PHRASES.capitalReworded), 'while down')).toEqual({ value: 'while down', source: 'computed' });
      expect(errors.map((e) => e.operation)).toEqual(['get', 'findSimilar', 'set']);
    } finally {
      await server.start();
    }
    expect(await ask(user(PHRASES.capitalReworded), 'not asked')).toMatchObject({ value: 'Paris', source: 'cache' });
    expect(computed()).toBe(2);
    await cache.close();
  });
});
