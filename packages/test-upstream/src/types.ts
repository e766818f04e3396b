/** Options of {@link startUpstream}. */
export interface UpstreamOptions {
  /**
   * TCP port to listen on; `0` lets the operating system pick a free one (read it back from `url`).
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on. Keep the loopback address: the server has no authentication worth the name.
   * @default '127.0.0.1'
   */
  host?: string;
}

/** One HTTP request the server received, whatever happened to it afterwards. */
export interface RecordedCall {
  /** URL path without the query string, e.g. `/v1/chat/completions` or `/openai/deployments/gpt4/embeddings`. */
  path: string;
  /** Path plus query string as received, e.g. `/openai/deployments/gpt4/chat/completions?api-version=2024-06-01`. */
  url: string;
  /** HTTP method, e.g. `POST`. */
  method: string;
  /**
   * The model the request addressed: the `model` field of the JSON body, the deployment name of an Azure
   * path, the `model` field of a multipart transcription request; `''` when there is none (bad body, unknown path).
   */
  model: string;
  /**
   * The parsed JSON body; for a transcription `{ model, fileName, bytes, sha256, ...other form fields }`;
   * the raw text when the body is not valid JSON; `undefined` until the body has been read.
   */
  body: any;
  /** Request headers, names in lower case (as Node's `IncomingMessage.headers`). */
  headers: Record<string, string | string[] | undefined>;
  /** `Date.now()` when the request arrived. */
  at: number;
}

/**
 * What to do with one request for a model, queued with {@link Upstream.script}.
 *
 * - `{ status, message?, retryAfter? }`: answer with this HTTP status (400 and above) and a provider-shaped
 *   error body; `message` replaces the default error text; `retryAfter` (seconds) is sent as `Retry-After`.
 * - `{ drop: true }`: destroy the socket without any response.
 * - `{ cutStreamAfter: n }`: for a streaming request, send the headers and `n` SSE events (for chat
 *   completions the first one is the `role` chunk; for Bedrock ConverseStream, `n` event-stream frames, the first
 *   `messageStart`), then destroy the socket (no `[DONE]`, no `message_stop`, no `metadata` frame); a
 *   non-streaming request is dropped as with `{ drop: true }`.
 * - `{ latencyMs }`: wait this long (instead of the model's default latency), then answer normally.
 * - `{ reply }`: answer normally, with this text instead of the default reply.
 * - `{ body, status?, contentType? }`: answer with exactly this body, whatever the endpoint and even for a
 *   streaming request (see {@link BodyStep}). For answers that are not what the API promises.
 * - `{ rawStream }`: answer `200 text/event-stream` with exactly these blocks, then end (see {@link RawStreamStep}).
 */
export type Step =
  | { status: number; message?: string; retryAfter?: number }
  | { drop: true }
  | { cutStreamAfter: number }
  | { latencyMs: number }
  | { reply: string }
  | BodyStep
  | RawStreamStep;

/**
 * Answer with exactly this body, e.g. a 200 that is no completion: `{ body: null }`, `{ body: { choices: [] } }`,
 * `{ body: { error: { message: 'overloaded', type: 'server_error' } } }`, `{ body: 'not json' }`.
 */
export interface BodyStep {
  /**
   * A string is sent as it is (`'not json'` is raw text, `'"hi"'` a JSON string); any other value as its JSON
   * (`null`, `42`, an object); `undefined` as an empty body.
   */
  body: unknown;
  /**
   * HTTP status of the answer, an integer from 200 to 599.
   * @default 200
   */
  status?: number;
  /**
   * `content-type` of the answer.
   * @default 'application/json'
   */
  contentType?: string;
}

/**
 * Answer `200 text/event-stream` and write each block as it is, one write each, then end the response.
 * Nothing is added: no `[DONE]`, no `message_stop`, no blank line. E.g.
 * `{ rawStream: ['data: null\n\n'] }` or `{ rawStream: ['event: error\ndata: {"error":{"message":"overloaded"}}\n\n'] }`.
 */
export interface RawStreamStep {
  /** The SSE text blocks, in order; each should end with a blank line (`\n\n`) to be a complete event. */
  rawStream: string[];
}

/** The reply text of a model: fixed, or computed from the text of the last user message. */
export type ReplySource = string | ((lastUserText: string) => string);

/** The vector of an input text, or undefined for the default one. */
export type EmbeddingSource = (text: string) => number[] | undefined;

/** Filter of {@link Upstream.callCount}; every given field must match. */
export interface CallFilter {
  /** Count only requests with this exact path (no query string). */
  path?: string;
  /** Count only requests for this model (see {@link RecordedCall.model}; the model id of a Bedrock or Vertex path). */
  model?: string;
}

/**
 * A running test upstream.
 *
 * Bedrock routes need a SigV4 `Authorization: AWS4-HMAC-SHA256 Credential=…` header (not verified: any
 * signature passes; the access key id `bad-key` is refused as a 403 `UnrecognizedClientException`); Vertex AI
 * routes need `Authorization: Bearer <token>` (`Bearer bad-key` is a 401). Both answer errors in their
 * provider's shape: Bedrock `{ message }` with `x-amzn-errortype`, Vertex `{ error: { code, message, status } }`.
 */
export interface Upstream {
  /** Base URL, `http://127.0.0.1:PORT`; Azure callers use it as the endpoint. */
  readonly url: string;
  /**
   * `${url}/v1`, the base URL for OpenAI clients. Anthropic clients use `url` (they add `/v1/messages`), and so
   * do Bedrock clients as their endpoint (`/model/{modelId}/converse`, `/converse-stream`) and Vertex AI
   * clients as their API endpoint (`/v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent`).
   */
  readonly openaiBase: string;
  /**
   * `${url}/token`: an OAuth 2.0 token endpoint answering any grant with a fresh
   * `{ access_token, expires_in, token_type: 'Bearer' }`, for google-auth-library credentials that name their
   * token URL (an external account's `token_url`).
   */
  readonly tokenUrl: string;
  /** Every request received, in arrival order, including failed and scripted ones. `reset()` empties it in place. */
  readonly calls: RecordedCall[];
  /** How many recorded requests match the filter (all of them without one). */
  callCount(filter?: CallFilter): number;
  /** The most requests that were in flight at once, for that model or (without one) in total, since start or `reset()`. */
  peakConcurrency(model?: string): number;
  /** Queue steps for a model, FIFO; each request for that model consumes one; with the queue empty it answers normally. */
  script(model: string, ...steps: Step[]): void;
  /** Default delay before every answer of that model, in milliseconds (0 until set). */
  setLatency(model: string, ms: number): void;
  /** Replace the default reply text of that model (`Reply to "<last user text>" from <model>`). */
  setReply(model: string, text: ReplySource): void;
  /**
   * Replace the vectors of that model's embeddings: the function's vector for a text it knows, the default
   * (SHA-256-derived, 8 dimensions) for one it answers undefined.
   */
  setEmbedding(model: string, source: EmbeddingSource): void;
  /** Clear recorded calls, scripts, latencies, replies, embeddings and concurrency peaks. Ids keep counting up. */
  reset(): void;
  /** Stop listening and destroy every open socket, including keep-alive ones and streams in progress. */
  close(): Promise<void>;
}
