import { canonicalJson } from '@llmcache/core/internal';
import { BadRequestError, RouterConfigError } from './errors';
import { Router } from './router';
import type {
  Base64EmbeddingResponse,
  ChatCompletion,
  CompletionRequest,
  CompletionRequestNonStreaming,
  CompletionRequestStreaming,
  CompletionStream,
  EmbeddingRequest,
  EmbeddingResponse,
  TextCompletion,
  TextCompletionRequest,
  TranscriptionRequest,
  TranscriptionResponse,
} from './types';

// Top-level calls as in LiteLLM: `completion({ model: 'openai/gpt-4o', messages, apiKey, apiBase })`. Each
// distinct model and endpoint gets a one-deployment router, kept for the next call, and the global cache.
const routers = new Map<string, Router>();
const MAX_ROUTERS = 100;

/** The router for a request's model and endpoint; a model or endpoint it cannot use is the request's fault: a 400. */
async function routerFor(request: { model: unknown; apiKey?: unknown; apiBase?: unknown; apiVersion?: unknown }): Promise<Router> {
  const params = { model: request.model, apiKey: request.apiKey, apiBase: request.apiBase, apiVersion: request.apiVersion };
  const id = canonicalJson(params);
  let router = routers.get(id);
  if (!router) {
    try {
      router = new Router({ modelList: [{ modelName: String(request.model), params: params as { model: string } }] });
    } catch (err) {
      if (!(err instanceof RouterConfigError)) throw err;
      const field = err.option.replace(/^modelList\[0\]\.params\./, '').replace(/^modelList\[0\]\.modelName$/, 'model');
      throw new BadRequestError(`${field}: ${err.detail}`, { status: 400, provider: 'llmcache', cause: err });
    }
    if (routers.size >= MAX_ROUTERS) routers.delete(routers.keys().next().value!);
    routers.set(id, router);
  }
  return router;
}

export function completion(request: CompletionRequestStreaming): Promise<CompletionStream>;
export function completion(request: CompletionRequestNonStreaming): Promise<ChatCompletion>;
export function completion(request: CompletionRequest): Promise<ChatCompletion | CompletionStream>;
/** One chat completion, on the global cache (`setCache()`), without a Router. */
export function completion(request: CompletionRequest): Promise<ChatCompletion | CompletionStream> {
  return routerFor(request).then((router) => router.completion(request));
}

/** One text completion, on the global cache. */
export function textCompletion(request: TextCompletionRequest): Promise<TextCompletion> {
  return routerFor(request).then((router) => router.textCompletion(request));
}

export function embedding(request: EmbeddingRequest & { encoding_format: 'base64' }): Promise<Base64EmbeddingResponse>;
export function embedding(request: EmbeddingRequest & { encoding_format?: 'float' | undefined }): Promise<EmbeddingResponse>;
export function embedding(request: EmbeddingRequest): Promise<EmbeddingResponse | Base64EmbeddingResponse>;
/** Embeddings, on the global cache: each input its own entry. */
export function embedding(request: EmbeddingRequest): Promise<EmbeddingResponse | Base64EmbeddingResponse> {
  return routerFor(request).then((router) => router.embedding(request));
}

/** A transcription, on the global cache, keyed by the audio bytes. */
export function transcription(request: TranscriptionRequest): Promise<TranscriptionResponse> {
  return routerFor(request).then((router) => router.transcription(request));
}
