// The Router with a Qdrant semantic cache over real sockets: chat and embeddings from the test upstream,
// the embedding model named by the cache and supplied by the router.
import { randomUUID } from 'node:crypto';
import { Cache } from '@llmcache/core';
import { Router } from '@llmcache/router';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { QdrantSemanticBackend } from '@llmcache/qdrant';
import { PHRASES, TABLE } from './embedders';
import { startQdrant, type QdrantTestServer } from './qdrant-server';

let qdrant: QdrantTestServer;
let upstream: Upstream;

beforeAll(async () => {
  qdrant = await startQdrant();
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
  await qdrant.stop();
});
beforeEach(() => {
  upstream.reset();
  // The router embeds `user: <text>` for a one-message chat: the fixed vectors of the phrasings, by their text.
  upstream.setEmbedding('text-embedding-3-small', (text) => TABLE[text.replace(/^user: /, '')]);
});

const ask = (router: Router, content: string) => router.completion({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
const chatCalls = () => upstream.callCount({ model: 'gpt-4o-mini' });
const embeddingCalls = () => upstream.callCount({ model: 'text-embedding-3-small' });

describe('a Router with a qdrant-semantic cache', () => {
  it('answers a reworded question from the cache, embedding through its own model group (the README example)', async () => {
    const collection = `router-${randomUUID()}`;
    const router = new Router({
      modelList: [
        { modelName: 'gpt-4o-mini', params: { model: 'openai/gpt-4o-mini', apiBase: upstream.openaiBase, apiKey: 'sk-test' } },
        { modelName: 'embeddings', params: { model: 'openai/text-embedding-3-small', apiBase: upstream.openaiBase, apiKey: 'sk-test' } },
      ],
      cache: new Cache({
        type: 'qdrant-semantic',
        qdrantApiBase: qdrant.url,
        qdrantCollectionName: collection,
        similarityThreshold: 0.9,
        qdrantSemanticCacheEmbeddingModel: 'embeddings',
      }),
    });
    const first = await ask(router, PHRASES.capital);
    expect(first._hiddenParams.cacheHit).toBe(false);
    const again = await ask(router, PHRASES.capitalReworded);
    expect(again._hiddenParams.cacheHit).toBe(true);
    expect(again.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    const other = await ask(router, PHRASES.bread);
    expect(other._hiddenParams.cacheHit).toBe(false);
    expect(chatCalls()).toBe(2);
    expect(embeddingCalls()).toBe(3); // one per distinct prompt: the miss's lookup and its write share one
    // Two answers by prompt; the router's embedding answers are cached there too, by key (the first came before the collection).
    const points = [...qdrant.collections.get(collection)!.points.values()];
    expect(points.filter((p) => p.vectors.has('prompt'))).toHaveLength(2);
    expect(points.filter((p) => !p.vectors.has('prompt'))).toHaveLength(2);
    await router.close();
  });

  it('is what a LiteLLM config.yaml with type qdrant-semantic builds, environment references included', async () => {
    const collection = `config-${randomUUID()}`;
    const router = Router.fromConfig(
      {
        model_list: [
          { model_name: 'gpt-4o-mini', litellm_params: { model: 'openai/gpt-4o-mini', api_base: upstream.openaiBase, api_key: 'sk-test' } },
          { model_name: 'embeddings', litellm_params: { model: 'openai/text-embedding-3-small', api_base: upstream.openaiBase, api_key: 'sk-test' } },
        ],
        litellm_settings: {
          cache: true,
          cache_params: {
            type: 'qdrant-semantic',
            qdrant_api_base: 'os.environ/QDRANT_API_BASE',
            qdrant_collection_name: collection,
            qdrant_quantization_config: 'scalar',
            similarity_threshold: 0.9,
            qdrant_semantic_cache_embedding_model: 'embeddings',
          },
        },
      },
      { QDRANT_API_BASE: qdrant.url },
    );
    expect(await ask(router, PHRASES.capital).then((r) => r._hiddenParams.cacheHit)).toBe(false);
    expect(await ask(router, PHRASES.capitalReworded).then((r) => r._hiddenParams.cacheHit)).toBe(true);
    expect(qdrant.calls(new RegExp(`^PUT /collections/${collection}$`))[0]!.body).toMatchObject({ quantization_config: { scalar: { type: 'int8' } } });
    await router.close();
  });

  it('goes upstream, never failing a call, while Qdrant is down', async () => {
    const backend = new QdrantSemanticBackend({ qdrantApiBase: qdrant.url, qdrantCollectionName: `down-${randomUUID()}`, embeddingModel: 'embeddings' });
    const router = new Router({
      modelList: [
        { modelName: 'gpt-4o-mini', params: { model: 'openai/gpt-4o-mini', apiBase: upstream.openaiBase, apiKey: 'sk-test' } },
        { modelName: 'embeddings', params: { model: 'openai/text-embedding-3-small', apiBase: upstream.openaiBase, apiKey: 'sk-test' } },
      ],
      cache: new Cache({ backend, similarityThreshold: 0.9 }),
    });
    await ask(router, PHRASES.capital);
    await qdrant.stop();
    try {
      const answer = await ask(router, PHRASES.capitalReworded);
      expect(answer._hiddenParams.cacheHit).toBe(false);
      expect(answer.choices[0]!.message.content).toContain(PHRASES.capitalReworded);
    } finally {
      await qdrant.start();
    }
    expect((await ask(router, PHRASES.capitalReworded))._hiddenParams.cacheHit).toBe(true);
    expect(chatCalls()).toBe(2);
    await router.close();
  });
});
