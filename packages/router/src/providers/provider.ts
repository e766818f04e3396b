import type { ChatCompletion, ChatCompletionChunk, Usage } from '../types';
import type { ClientPool } from './client-pool';

// What providers read and hand out: OpenAI-shaped JSON as it is on the wire, typed as loosely as it can
// arrive (requests also come from JavaScript callers and config files, answers from any OpenAI-compatible
// server). Before a caller sees an answer, the router makes it what the public types promise (openai-shape.ts).

/** A chat message as a provider reads it. */
export interface PlainMessage {
  role: string;
  content?: string | null | Array<{ type: string; text?: string; [k: string]: unknown }>;
  name?: string;
  tool_calls?: PlainToolCall[];
  tool_call_id?: string;
  [k: string]: unknown;
}

export interface PlainToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A chat completion as it arrives: fields OpenAI always sends may be missing, its finish reason one OpenAI's types do not list. */
export interface PlainChatCompletion extends Omit<ChatCompletion, '_hiddenParams' | 'choices' | 'system_fingerprint'> {
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; refusal?: string | null; tool_calls?: PlainToolCall[] };
    finish_reason: string | null;
    logprobs?: unknown;
  }>;
  system_fingerprint?: string | null;
}

/** A streamed chunk as it arrives: its finish reason may be one OpenAI's types do not list. */
export interface PlainChunk extends Omit<ChatCompletionChunk, 'choices' | 'system_fingerprint'> {
  choices: Array<Omit<ChatCompletionChunk['choices'][number], 'finish_reason' | 'logprobs'> & { finish_reason: string | null; logprobs?: unknown }>;
  system_fingerprint?: string | null;
}

export interface PlainTextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ text: string; index: number; logprobs?: unknown; finish_reason: string | null }>;
  usage?: Usage;
  system_fingerprint?: string | null;
}

export interface PlainEmbeddingResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface PlainTranscription {
  text: string;
  [k: string]: unknown;
}

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
  chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk>;
  // The calls an API may lack: a provider leaves out what its API does not have, and the router answers
  // a call of it with one 400 (`withCall`, unsupported-call.ts).
  textCompletion?(params: ProviderParams, target: ProviderTarget): Promise<PlainTextCompletion>;
  embedding?(params: ProviderParams, target: ProviderTarget): Promise<PlainEmbeddingResponse>;
  transcription?(upload: TranscriptionUpload, target: ProviderTarget): Promise<PlainTranscription>;
}
