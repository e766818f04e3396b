import type { ClientPool } from './client-pool';
import type { ChatCompletionChunk, PlainChatCompletion, PlainEmbeddingResponse, PlainTextCompletion, PlainTranscription } from '../types';

export type { PlainChatCompletion, PlainEmbeddingResponse, PlainTextCompletion, PlainTranscription };

/** Where and how to reach one deployment. */
export interface ProviderTarget {
  /** The provider's model name (the part after `provider/`). */
  model: string;
  apiKey: string | undefined;
  apiBase: string | undefined;
  apiVersion: string | undefined;
  /** An Azure AD token (azure only): `Authorization: Bearer` instead of `api-key`. */
  azureAdToken?: string | undefined;
  /** Extra HTTP headers (`extra_headers`, `organization`), sent after the provider's own. */
  headers: Record<string, string>;
  signal: AbortSignal;
  /** The router's SDK clients, which its `close()` releases. */
  clients: ClientPool;
}

/** OpenAI-shaped request params, without `model`, `stream` or anything llmcache consumes. */
export type ProviderParams = Record<string, unknown>;

export interface TranscriptionUpload {
  file: Blob;
  fileName: string;
  params: ProviderParams;
}

/**
 * One LLM API. Every method speaks OpenAI shapes; a provider translates to and from its own, and checks
 * the upstream's answer before handing it out (validate.ts): a malformed one throws a typed 500, never returns.
 */
export interface Provider {
  readonly name: string;
  /** OpenAI params this API refuses: with `dropParams`, they are dropped instead of sent. */
  readonly unsupportedParams: ReadonlySet<string>;
  /**
   * The environment variables (LiteLLM's names) each deployment param is read from when a deployment does
   * not set it, the first one set winning, e.g. `{ apiKey: ['GROQ_API_KEY'] }`. A config's
   * `environment_variables` fill these params in, since they never reach `process.env`.
   */
  readonly envParams?: Readonly<Record<string, readonly string[]>>;
  chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion>;
  /** Yields chunks as they arrive; throws `APIConnectionError` when the stream breaks off. */
  chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<ChatCompletionChunk>;
  textCompletion(params: ProviderParams, target: ProviderTarget): Promise<PlainTextCompletion>;
  embedding(params: ProviderParams, target: ProviderTarget): Promise<PlainEmbeddingResponse>;
  transcription(upload: TranscriptionUpload, target: ProviderTarget): Promise<PlainTranscription>;
}
