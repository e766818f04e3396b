import type { CacheControl } from '@llmcache/core';
import type { OpenString } from './open-string';
import type { ChatMessage, ResponseFormat, TextPart, Tool, ToolChoice } from './messages';

/**
 * What every call takes besides the API's own params: llmcache's options and LiteLLM's per-call ones.
 * Params the router does not declare go in `extra_body`.
 */
export interface CallOptions {
  /** A model group name (with a Router), or `provider/model` (top-level functions). */
  model: string;
  /** Per-request cache control. */
  cache?: CacheControl;
  /** Returns this text without calling a provider. */
  mockResponse?: string;
  /**
   * Seconds; lowers the router's and the deployment's timeout for this call. It bounds each attempt
   * (including its wait for a `maxParallelRequests` slot) and the whole call: no retry or fallback starts
   * after it has run out.
   */
  timeout?: number;
  /** LiteLLM's name for `timeout`. */
  request_timeout?: number;
  /** Seconds; for a stream, bounds the wait for the first chunk and each gap between chunks. @default timeout */
  stream_timeout?: number;
  /** Overrides the router's `numRetries` for this call (0 to 100). */
  numRetries?: number;
  /** LiteLLM's name for `numRetries`. */
  num_retries?: number;
  /**
   * Aborts the call: it rejects at once with the signal's reason. A call sharing an upstream answer with
   * identical calls just leaves; the upstream call is aborted once every caller has left.
   */
  signal?: AbortSignal;
  /** HTTP headers sent with the call (LiteLLM's `extra_headers`); never part of the cache key. */
  extra_headers?: Record<string, string | number | boolean | null | undefined>;
  /** Same as `extra_headers`. */
  extraHeaders?: Record<string, string | number | boolean | null | undefined>;
  /** Same as `extra_headers`. */
  headers?: Record<string, string | number | boolean | null | undefined>;
  /**
   * Drop, for this call, the OpenAI params the deployment's provider refuses (`true`), or send them all
   * (`false`), whatever the deployment says (LiteLLM's per-call `drop_params`).
   */
  drop_params?: boolean;
  /** Same as `drop_params`. */
  dropParams?: boolean;
  /** Sent as the `OpenAI-Organization` header. */
  organization?: string;
  /** Top-level calls only: credentials and endpoint. */
  apiKey?: string;
  apiBase?: string;
  apiVersion?: string;
  /**
   * LiteLLM's call metadata, for your own logging: never sent to the provider, never part of the key.
   * To send OpenAI's `metadata` (stored completions), put it in `extra_body`.
   */
  metadata?: Record<string, unknown> | null;
  /**
   * Params the router does not declare, for a provider that takes them (`top_k`, `repetition_penalty`,
   * `thinking`, `safetySettings`, …), as `extra_body` in OpenAI's and LiteLLM's Python clients: each is
   * sent as a top-level param of the call, over a request param of the same name; a deployment's own
   * `extra_body` is merged under it. It is part of the cache key, and `dropParams` never drops it.
   */
  extra_body?: Record<string, unknown> | null;
}

/** OpenAI's chat params (`ChatCompletionCreateParams`), with llmcache's and LiteLLM's call options. */
export interface CompletionRequest extends CallOptions {
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean; include_obfuscation?: boolean } | null;
  audio?: { format: OpenString<'wav' | 'aac' | 'mp3' | 'flac' | 'opus' | 'pcm16'>; voice: string | { id: string } } | null;
  frequency_penalty?: number | null;
  /** @deprecated OpenAI's predecessor of `tool_choice`. */
  function_call?: 'none' | 'auto' | { name: string };
  /** @deprecated OpenAI's predecessor of `tools`. */
  functions?: Array<{ name: string; description?: string; parameters?: Record<string, unknown> }>;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  max_completion_tokens?: number | null;
  max_tokens?: number | null;
  modalities?: Array<OpenString<'text' | 'audio'>> | null;
  n?: number | null;
  parallel_tool_calls?: boolean | null;
  prediction?: { type: 'content'; content: string | TextPart[] } | null;
  presence_penalty?: number | null;
  prompt_cache_key?: string | null;
  reasoning_effort?: OpenString<'none' | 'minimal' | 'low' | 'medium' | 'high'> | null;
  response_format?: ResponseFormat;
  safety_identifier?: string | null;
  seed?: number | null;
  service_tier?: OpenString<'auto' | 'default' | 'flex' | 'scale' | 'priority'> | null;
  stop?: string | string[] | null;
  store?: boolean | null;
  temperature?: number | null;
  tool_choice?: ToolChoice;
  tools?: Tool[];
  top_logprobs?: number | null;
  top_p?: number | null;
  /** The end user; part of the cache key, so users never receive each other's answers. */
  user?: string;
  verbosity?: OpenString<'low' | 'medium' | 'high'> | null;
  web_search_options?: {
    search_context_size?: OpenString<'low' | 'medium' | 'high'>;
    user_location?: { type: 'approximate'; approximate: { city?: string; country?: string; region?: string; timezone?: string } } | null;
  };
}

/** A chat request that answers a whole `ChatCompletion`. */
export interface CompletionRequestNonStreaming extends CompletionRequest {
  stream?: false | null;
}

/** A chat request that answers a `CompletionStream`. */
export interface CompletionRequestStreaming extends CompletionRequest {
  stream: true;
}

/** OpenAI's legacy completions params (`CompletionCreateParamsNonStreaming`); `textCompletion` does not stream. */
export interface TextCompletionRequest extends CallOptions {
  /** Text, texts, or token ids; a `null` prompt is sent as none. */
  prompt: string | string[] | number[] | number[][] | null;
  stream?: false | null;
  stream_options?: { include_usage?: boolean; include_obfuscation?: boolean } | null;
  best_of?: number | null;
  echo?: boolean | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: number | null;
  max_tokens?: number | null;
  n?: number | null;
  presence_penalty?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  suffix?: string | null;
  temperature?: number | null;
  top_p?: number | null;
  user?: string;
}

/** OpenAI's embeddings params (`EmbeddingCreateParams`). */
export interface EmbeddingRequest extends CallOptions {
  /** Texts or token ids; each input is its own cache entry. */
  input: string | string[] | number[] | number[][];
  dimensions?: number;
  /** `'base64'` answers each vector as base64 (a `Base64EmbeddingResponse`). @default 'float' */
  encoding_format?: 'float' | 'base64';
  user?: string;
}

/** OpenAI's transcription params (`TranscriptionCreateParams`), the audio as a `File`, `Blob` or `Buffer`. */
export interface TranscriptionRequest extends CallOptions {
  file: Blob | Uint8Array;
  /** Sent to the provider as the upload's name; never part of the cache key. @default 'audio.mp3' */
  fileName?: string;
  language?: string;
  prompt?: string;
  response_format?: OpenString<'json' | 'text' | 'srt' | 'verbose_json' | 'vtt'>;
  temperature?: number;
  timestamp_granularities?: Array<OpenString<'word' | 'segment'>>;
}
