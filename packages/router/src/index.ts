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
  TimeoutError,
} from './errors';
export type { ProviderErrorDetails } from './errors';
export { MemoryRouterState } from './dispatch/state';
export type { MinuteUsage, RouterState } from './dispatch/state';
export { cachingGroupId, deploymentId } from './dispatch/model-groups';
export { assembleChunks, completionToChunks } from './calls/chunks';
export { readLiteLLMConfig, translateLiteLLMConfig } from './config';
export type { LiteLLMConfigTranslation } from './config';
export type * from './types';
export type { PlainChatCompletion, PlainChunk, PlainEmbeddingResponse, PlainTextCompletion, PlainTranscription } from './providers';
