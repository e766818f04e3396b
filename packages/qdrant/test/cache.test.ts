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
const withImage = (url: string) =>
  user([
    { type: 'text', text: PHRASES.northEast },
    { type: 'image_url', image_url: { url } },
  ]);

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
  it('goes upstream with error events when the collection was made by another embedding model', async () => {
    const collection = `cache-${randomUUID()}`;
    const six = new QdrantSemanticBackend({
      qdrantApiBase: server.url,
      qdrantCollectionName: collection,
      embedder: async (texts) => texts.map(() => [1, 2, 3, 4, 5, 6]),
    });
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
