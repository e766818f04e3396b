import { Router } from './router';
import { routerFor } from './top-level-routers';
import type {
  Base64EmbeddingResponse,
  ChatCompletion,
  CompletionRequest,
  CompletionRequestNonStreaming,
  CompletionRequestStreaming,
  CompletionStream,
  EmbeddingRequest,
  EmbeddingResponse,
  RouterOptions,
  TextCompletion,
  TextCompletionRequest,
  TranscriptionRequest,
  TranscriptionResponse,
} from './types';

/** A new router for `routerFor`. */
const newRouter = (options: RouterOptions) => new Router(options);

export function completion(request: CompletionRequestStreaming): Promise<CompletionStream>;
export function completion(request: CompletionRequestNonStreaming): Promise<ChatCompletion>;
export function completion(request: CompletionRequest): Promise<ChatCompletion | CompletionStream>;
/** One chat completion, on the global cache (`setCache()`), without a Router. */
export function completion(request: CompletionRequest): Promise<ChatCompletion | CompletionStream> {
  return routerFor(request, newRouter).then((router) => router.completion(request));
}

/** One text completion, on the global cache. */
export function textCompletion(request: TextCompletionRequest): Promise<TextCompletion> {
  return routerFor(request, newRouter).then((router) => router.textCompletion(request));
}

export function embedding(request: EmbeddingRequest & { encoding_format: 'base64' }): Promise<Base64EmbeddingResponse>;
export function embedding(request: EmbeddingRequest & { encoding_format?: 'float' | undefined }): Promise<EmbeddingResponse>;
export function embedding(request: EmbeddingRequest): Promise<EmbeddingResponse | Base64EmbeddingResponse>;
/** Embeddings, on the global cache: each input its own entry. */
export function embedding(request: EmbeddingRequest): Promise<EmbeddingResponse | Base64EmbeddingResponse> {
  return routerFor(request, newRouter).then((router) => router.embedding(request));
}

/** A transcription, on the global cache, keyed by the audio bytes. */
export function transcription(request: TranscriptionRequest): Promise<TranscriptionResponse> {
  return routerFor(request, newRouter).then((router) => router.transcription(request));
}
