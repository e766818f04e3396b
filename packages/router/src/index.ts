export { Router } from './router';
export { completion, embedding, textCompletion, transcription } from './toplevel';
export { disableCache, enableCache, getCache, setCache } from './global';
export {
  APIConnectionError,
  AuthenticationError,
  BadRequestError,
  ContentPolicyViolationError,
  ContextWindowExceededError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  ProviderError,
  RateLimitError,
  RouterConfigError,
  ServiceUnavailableError,
  TimeoutError,
} from './errors';
export type { ProviderErrorDetails } from './errors';
// The routing-state contract lives in core, so that a shared store (@llmcache/redis) needs no router.
export { MemoryRouterState } from '@llmcache/core';
export type { MinuteUsage, RouterState } from '@llmcache/core';
export { cachingGroupId, deploymentId } from './dispatch/model-groups';
export { assembleChunks, completionToChunks } from './calls/chunks';
export { readLiteLLMConfig, translateLiteLLMConfig } from './config';
export type { LiteLLMConfigTranslation } from './config';
export type * from './types';
export type { PlainChatCompletion, PlainChunk, PlainEmbeddingResponse, PlainTextCompletion, PlainTranscription } from './providers';
