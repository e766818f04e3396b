// Error bodies in the shapes the real providers send, so clients' error mapping can be tested.

/** OpenAI (and Azure OpenAI) error body: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Anthropic error body: `{ type: 'error', error: { type, message } }`. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/** Extra details of an error answer. */
export interface ErrorDetails {
  /** Replaces the default message of the status. */
  message?: string;
  /** Replaces the default `code` of the status (OpenAI shape only). */
  code?: string | null;
  /** Name of the request parameter at fault (OpenAI shape only). */
  param?: string | null;
}

const OPENAI_DEFAULTS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided: bad-key. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  403: { type: 'invalid_request_error', code: 'forbidden', message: 'You are not allowed to access this resource.' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' },
  408: { type: 'server_error', code: 'timeout', message: 'Request timed out.' },
  409: { type: 'invalid_request_error', code: null, message: 'Conflict.' },
  422: { type: 'invalid_request_error', code: null, message: 'Unprocessable entity.' },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again later.',
  },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!' },
  502: { type: 'server_error', code: null, message: 'Bad gateway.' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
  504: { type: 'server_error', code: null, message: 'Gateway timeout.' },
};

/** The OpenAI-shaped error body for an HTTP status. */
export function openAIError(status: number, details: ErrorDetails = {}): OpenAIErrorBody {
  const defaults = OPENAI_DEFAULTS[status] ?? {
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
    message: `Request failed with status ${status}.`,
  };
  return {
    error: {
      message: details.message ?? defaults.message,
      type: defaults.type,
      param: details.param ?? null,
      code: details.code === undefined ? defaults.code : details.code,
    },
  };
}

const ANTHROPIC_DEFAULTS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  404: { type: 'not_found_error', message: 'The requested resource could not be found.' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit. Please try again later.' },
  500: { type: 'api_error', message: 'Internal server error' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

/** The Anthropic-shaped error body for an HTTP status. */
export function anthropicError(status: number, details: ErrorDetails = {}): AnthropicErrorBody {
  const defaults = ANTHROPIC_DEFAULTS[status] ?? {
    type: status >= 500 ? 'api_error' : 'invalid_request_error',
    message: `Request failed with status ${status}.`,
  };
  return { type: 'error', error: { type: defaults.type, message: details.message ?? defaults.message } };
}

/** The message OpenAI sends when the prompt is longer than the context window (code `context_length_exceeded`). */
export const CONTEXT_LENGTH_MESSAGE = "This model's maximum context length is 4096 tokens. However, your messages resulted in 9000 tokens.";

/** The message Anthropic sends when the prompt is longer than the context window. */
export const ANTHROPIC_CONTEXT_LENGTH_MESSAGE = 'prompt is too long: 9000 tokens > 4096 maximum';

/** Phrase that, anywhere in a request's text, makes the request fail as too long for the context window. */
export const CONTEXT_OVERFLOW_PHRASE = 'exceed the context window';

/** Phrase that, anywhere in a Vertex AI request's text, makes Gemini block the prompt (`promptFeedback.blockReason: 'SAFETY'`). */
export const SAFETY_BLOCK_PHRASE = 'trip the safety filter';

/** Phrase that, in the last user message, makes the model call a tool when tools are offered. */
export const TOOL_TRIGGER_PHRASE = 'use a tool';

/** Bedrock's error names by HTTP status; the name travels in the `x-amzn-errortype` header, the text in `{ message }`. */
const BEDROCK_ERRORS: Record<number, { name: string; message: string }> = {
  400: { name: 'ValidationException', message: 'Malformed input request, please reformat your input and try again.' },
  401: { name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' },
  403: { name: 'AccessDeniedException', message: "You don't have access to the model with the specified model ID." },
  404: { name: 'ResourceNotFoundException', message: 'Could not resolve the foundation model from the provided model identifier.' },
  408: { name: 'ModelTimeoutException', message: 'Model has timed out in processing the request.' },
  424: { name: 'ModelErrorException', message: 'The model failed to process the request.' },
  429: { name: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
  500: { name: 'InternalServerException', message: 'The server encountered an internal error.' },
  503: { name: 'ServiceUnavailableException', message: 'The service is temporarily unavailable.' },
};

/** A Bedrock error answer: its HTTP status (Bedrock answers 403 for bad credentials), body and `x-amzn-errortype` header. */
export function bedrockError(status: number, details: ErrorDetails = {}): { status: number; body: { message: string }; headers: Record<string, string> } {
  const known = BEDROCK_ERRORS[status] ?? {
    name: status >= 500 ? 'InternalServerException' : 'ValidationException',
    message: `Request failed with status ${status}.`,
  };
  return {
    status: status === 401 ? 403 : status,
    body: { message: details.message ?? known.message },
    headers: { 'x-amzn-errortype': `${known.name}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
  };
}

/** Bedrock's name for an error status, e.g. `ThrottlingException` for 429. */
export function bedrockErrorName(status: number): string {
  return BEDROCK_ERRORS[status]?.name ?? (status >= 500 ? 'InternalServerException' : 'ValidationException');
}

/** Google's error body, as Vertex AI sends it: `{ error: { code, message, status } }`. */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string };
}

const GOOGLE_STATUSES: Record<number, { status: string; message: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' },
  401: { status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials. Expected OAuth 2 access token.' },
  403: { status: 'PERMISSION_DENIED', message: 'Permission denied on resource project.' },
  404: { status: 'NOT_FOUND', message: 'Publisher model was not found or your project does not have access to it.' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Resource exhausted. Please try again later.' },
  500: { status: 'INTERNAL', message: 'Internal error encountered.' },
  503: { status: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
  504: { status: 'DEADLINE_EXCEEDED', message: 'Deadline exceeded.' },
};

/** The Google-shaped error body for an HTTP status. */
export function googleError(status: number, details: ErrorDetails = {}): GoogleErrorBody {
  const known = GOOGLE_STATUSES[status] ?? { status: status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION', message: `Request failed with status ${status}.` };
  return { error: { code: status, message: details.message ?? known.message, status: known.status } };
}

/** The message Bedrock sends when the prompt is longer than the model's context window. */
export const BEDROCK_CONTEXT_LENGTH_MESSAGE = 'Input is too long for requested model.';

/** Ollama's error body: `{ error: "<message>" }`, a bare string, on every status. */
export interface OllamaErrorBody {
  error: string;
}

const OLLAMA_MESSAGES: Record<number, string> = {
  400: 'invalid request',
  401: 'unauthorized',
  404: 'model not found, try pulling it first',
  429: 'server busy, please try again.  maximum pending requests exceeded',
  500: 'an error was encountered while running the model',
  503: 'server busy, please try again.  maximum pending requests exceeded',
};

/** The Ollama-shaped error body for an HTTP status. */
export function ollamaError(status: number, details: ErrorDetails = {}): OllamaErrorBody {
  return { error: details.message ?? OLLAMA_MESSAGES[status] ?? `request failed with status ${status}` };
}
