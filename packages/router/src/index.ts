import { readLiteLLMConfig as readConfig, translateLiteLLMConfig as translateConfig, type LiteLLMConfigTranslation } from './config';

export { Router } from './router';
export { completion, embedding, textCompletion, transcription } from './toplevel';
export { disableCache, enableCache, getCache, setCache } from './global';
export {
  APIConnectionError,
  AuthenticationError,
  BadRequestError,
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
export { MemoryRouterState } from './state';
export type { MinuteUsage, RouterState } from './state';
export { cachingGroupId, deploymentId } from './deployments';
export { assembleChunks, completionToChunks } from './stream';
export type { LiteLLMConfigTranslation } from './config';
export type * from './types';

/** Where `os.environ/NAME` values are looked up: a plain record, so these types compile without @types/node. */
type Env = Record<string, string | undefined>;
/**
 * Translates a LiteLLM proxy config (parsed, or its YAML text) into router and cache options (see "LiteLLM config" in the README).
 * @param env Where `os.environ/NAME` values are looked up. @default process.env
 */
export const translateLiteLLMConfig: (config: unknown, env?: Env) => LiteLLMConfigTranslation = translateConfig;
/**
 * Reads a LiteLLM proxy config file (YAML or JSON) and translates it as `translateLiteLLMConfig` does.
 * @param env Where `os.environ/NAME` values are looked up. @default process.env
 */
export const readLiteLLMConfig: (path: string, env?: Env) => LiteLLMConfigTranslation = readConfig;
