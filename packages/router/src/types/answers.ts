import type { ToolCall } from './messages';

// What the router answers: OpenAI's answer shapes, with `_hiddenParams`.

/** OpenAI's reasons a choice ended. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details?: { accepted_prediction_tokens?: number; audio_tokens?: number; reasoning_tokens?: number; rejected_prediction_tokens?: number };
  prompt_tokens_details?: { audio_tokens?: number; cached_tokens?: number };
}

/** What the router adds to every answer, non-enumerable so `JSON.stringify(res)` is the plain OpenAI object. */
export interface HiddenParams {
  cacheHit: boolean;
  /** The cache key the call used, when a cache was consulted. */
  cacheKey: string | undefined;
  modelGroup: string;
  /** The deployment that answered, or, for a hit, the one that produced the stored answer. */
  deploymentId: string | undefined;
  /** The provider's model, e.g. `gpt-3.5-turbo`. */
  model: string | undefined;
  latencyMs: number;
  /** True when this call waited for an identical concurrent call instead of going upstream itself. */
  sharedFlight?: boolean;
  /** Set when a semantic cache served another prompt's answer: the cosine similarity of the two prompts. */
  semanticSimilarity?: number;
}

/** Marks an answer as one the router returned. */
export interface WithHiddenParams {
  readonly _hiddenParams: HiddenParams;
}

export interface TokenLogprob {
  token: string;
  bytes: number[] | null;
  logprob: number;
  top_logprobs: Array<{ token: string; bytes: number[] | null; logprob: number }>;
}

export interface ChoiceLogprobs {
  content: TokenLogprob[] | null;
  refusal: TokenLogprob[] | null;
}

/** The answer's message: `refusal` and `content` are null when absent, as OpenAI sends them. */
export interface CompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  tool_calls?: ToolCall[];
}

/** A chat completion (`chat.completion`), as OpenAI's `ChatCompletion`. */
export interface ChatCompletion extends WithHiddenParams {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: CompletionMessage;
    /** Native providers map their stop reasons onto OpenAI's (see the README). */
    finish_reason: FinishReason;
    logprobs: ChoiceLogprobs | null;
  }>;
  usage?: Usage;
  system_fingerprint?: string;
}

/** One chunk of a streamed chat completion (`chat.completion.chunk`), as OpenAI's `ChatCompletionChunk`. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      refusal?: string | null;
      // Function calls only: openai 6's chunk type has no `custom` delta, and the router's own chunks
      // (replayed from the cache, assembled for it) carry function calls only.
      tool_calls?: Array<{
        index: number;
        id?: string;
        type?: 'function';
        function?: { name?: string; arguments?: string };
      }>;
    };
    finish_reason: FinishReason | null;
    logprobs?: ChoiceLogprobs | null;
  }>;
  /** Only on the last chunk, and only with `stream_options: { include_usage: true }`. */
  usage?: Usage | null;
  system_fingerprint?: string;
}

/** A streamed answer: iterate it for chunks; `_hiddenParams` is set once the call is routed. */
export interface CompletionStream extends AsyncIterable<ChatCompletionChunk> {
  readonly _hiddenParams: HiddenParams;
}

/** A text completion (`text_completion`), as OpenAI's `Completion`. */
export interface TextCompletion extends WithHiddenParams {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{
    text: string;
    index: number;
    logprobs: { text_offset?: number[]; token_logprobs?: number[]; tokens?: string[]; top_logprobs?: Array<Record<string, number>> } | null;
    finish_reason: 'stop' | 'length' | 'content_filter';
  }>;
  usage?: Usage;
  system_fingerprint?: string;
}

export interface EmbeddingUsage {
  prompt_tokens: number;
  total_tokens: number;
}

/** Embeddings (`list`), as OpenAI's `CreateEmbeddingResponse`: a vector of numbers per input. */
export interface EmbeddingResponse extends WithHiddenParams {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] }>;
  model: string;
  usage: EmbeddingUsage;
}

/** Embeddings asked for with `encoding_format: 'base64'`: each vector is base64 of its float32 values. */
export interface Base64EmbeddingResponse extends WithHiddenParams {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: string }>;
  model: string;
  usage: EmbeddingUsage;
}

export interface TranscriptionResponse extends WithHiddenParams {
  text: string;
  /** With `response_format: 'verbose_json'`: `language`, `duration`, `segments`, `words`, as the provider sends them. */
  [field: string]: unknown;
}
