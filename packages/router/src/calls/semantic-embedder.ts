import { semanticQuery, type Cache, type Embedder, type SemanticBackend, type SemanticQuery } from '@llmcache/core';
import { isSemanticBackend } from '@llmcache/core/internal';
import { routerFor } from '../top-level-routers';
import type { EmbeddingRequest, EmbeddingResponse, RouterOptions } from '../types';

/** An embedding request that answers lists of numbers (not base64). */
type FloatEmbeddingRequest = EmbeddingRequest & { encoding_format?: 'float' | undefined };

/** What the semantic wiring needs of a router. */
export interface EmbeddingRouter {
  embedding(request: FloatEmbeddingRequest): Promise<EmbeddingResponse>;
  /** Whether `model` names one of the router's groups (directly, by alias or by a wildcard). */
  servesModel(model: string): boolean;
}

/** A router, and how to make a new one (for top-level calls to a model it lacks). */
export interface EmbedderSource {
  router: EmbeddingRouter;
  makeRouter: (options: RouterOptions) => EmbeddingRouter;
}

/** Who gave each backend its embedder: a router that has the model wins over the top-level path. */
const supplied = new WeakMap<SemanticBackend, 'router' | 'top-level'>();

/**
 * Gives a semantic cache configured with an embedding model by name (`redisSemanticCacheEmbeddingModel`, …)
 * its embedder: calls to that model group of `router` (routed, retried and cached like any call), else,
 * when the router has no such group, top-level `embedding()` calls to it as a `provider/model`. A backend
 * given an embedder of its own (no `embeddingModel`) is left alone.
 */
export function supplyEmbedder(cache: Cache | undefined, { router, makeRouter }: EmbedderSource): void {
  const backend = cache?.backend;
  if (!backend || !isSemanticBackend(backend) || backend.embeddingModel === undefined) return;
  const model = backend.embeddingModel;
  const by = supplied.get(backend);
  if (by === 'router') return;
  if (router.servesModel(model)) {
    backend.setEmbedder(embedderOf((request) => router.embedding(request), model));
    supplied.set(backend, 'router');
  } else if (by === undefined) {
    backend.setEmbedder(embedderOf((request) => routerFor(request, makeRouter).then((r) => r.embedding(request)), model));
    supplied.set(backend, 'top-level');
  }
}

function embedderOf(embed: (request: FloatEmbeddingRequest) => Promise<EmbeddingResponse>, model: string): Embedder {
  return {
    async embed(texts, options) {
      const response = await embed({ model, input: [...texts], ...(options?.signal ? { signal: options.signal } : {}) });
      return response.data.map((item) => {
        if (typeof item.embedding === 'string') throw new Error(`the embedding model "${model}" answered base64, not a list of numbers`);
        return item.embedding;
      });
    },
  };
}

/**
 * The semantic query of a chat or text call in `cache` under `identity` (the model identity its answer is
 * stored for), or undefined when the cache is not semantic or the call has no prompt. Makes sure the
 * cache has its embedder first (a global cache from `setCache()` meets its routers only now).
 */
export function semanticQueryFor(
  cache: Cache,
  source: EmbedderSource,
  call: { callType: string; keyParams: Record<string, unknown> },
  identity: string,
  namespace: string | undefined,
): SemanticQuery | undefined {
  if (!isSemanticBackend(cache.backend) || (call.callType !== 'completion' && call.callType !== 'text_completion')) return undefined;
  supplyEmbedder(cache, source);
  return semanticQuery({ callType: call.callType, model: identity, params: call.keyParams, namespace });
}
