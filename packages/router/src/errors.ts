import { LlmcacheError, type LlmcacheErrorOptions } from '@llmcache/core';

/** The router's options are inconsistent: named at construction. */
export class RouterConfigError extends LlmcacheError {
  /** The offending option, e.g. `cachingGroups[1]`. */
  readonly option: string;
  /** What is wrong with it, without the prefix. */
  readonly detail: string;
  constructor(option: string, detail: string, options?: LlmcacheErrorOptions) {
    super('router', `${option}: ${detail}`, options);
    this.option = option;
    this.detail = detail;
  }
}

export interface ProviderErrorDetails extends LlmcacheErrorOptions {
  status: number;
  provider: string;
  model?: string | undefined;
  /** Seconds the provider asked us to wait (`Retry-After`). */
  retryAfter?: number | undefined;
  /** The provider's own error code or type, e.g. `rate_limit_exceeded`. */
  code?: string | undefined;
}

/** A provider answered with an error, or could not be reached. `status` follows HTTP (connection errors are 500). */
export class ProviderError extends LlmcacheError {
  readonly status: number;
  readonly provider: string;
  readonly model: string | undefined;
  readonly retryAfter: number | undefined;
  readonly code: string | undefined;
  constructor(message: string, details: ProviderErrorDetails) {
    super('router', `${details.provider}${details.model ? ` ${details.model}` : ''}: ${message}`, details);
    this.status = details.status;
    this.provider = details.provider;
    this.model = details.model;
    this.retryAfter = details.retryAfter;
    this.code = details.code;
  }
}

export class BadRequestError extends ProviderError {}
export class ContextWindowExceededError extends BadRequestError {}
/** The provider refused the request or its answer under its content policy (OpenAI `content_policy_violation`, Azure's content filter). */
export class ContentPolicyViolationError extends BadRequestError {}
export class AuthenticationError extends ProviderError {}
export class PermissionDeniedError extends ProviderError {}
export class NotFoundError extends ProviderError {}
export class TimeoutError extends ProviderError {}
export class RateLimitError extends ProviderError {}
export class InternalServerError extends ProviderError {}
/**
 * A 503: the provider is overloaded or down for now (LiteLLM's `ServiceUnavailableError`); retried like any
 * 5xx. It extends InternalServerError so code that caught every 5xx as one still does.
 */
export class ServiceUnavailableError extends InternalServerError {}
/** The connection failed or broke off (including a stream cut mid-way). */
export class APIConnectionError extends ProviderError {}

// Bedrock says "Input is too long for requested model"; Vertex AI "exceeds the maximum number of tokens allowed".
const CONTEXT_WINDOW = /context.?(length|window)|maximum context|too many tokens|prompt is too long|input is too long|exceeds the maximum number of tokens/i;
// OpenAI's `content_policy_violation`, Azure's `content_filter` (its message names the "content management policy").
const CONTENT_POLICY_CODES = new Set(['content_policy_violation', 'content_filter', 'ResponsibleAIPolicyViolation']);
const CONTENT_POLICY = /content.?(management.?)?policy|content.?filter/i;

/** The typed error for an HTTP error answer. */
export function errorForStatus(message: string, details: ProviderErrorDetails): ProviderError {
  const { status } = details;
  if (status === 400 || status === 413 || status === 422) {
    if (CONTEXT_WINDOW.test(message) || details.code === 'context_length_exceeded') return new ContextWindowExceededError(message, details);
    if (CONTENT_POLICY.test(message) || (details.code !== undefined && CONTENT_POLICY_CODES.has(details.code)))
      return new ContentPolicyViolationError(message, details);
    return new BadRequestError(message, details);
  }
  if (status === 401) return new AuthenticationError(message, details);
  if (status === 403) return new PermissionDeniedError(message, details);
  if (status === 404) return new NotFoundError(message, details);
  if (status === 408) return new TimeoutError(message, details);
  if (status === 429) return new RateLimitError(message, details);
  if (status === 503) return new ServiceUnavailableError(message, details);
  if (status >= 500) return new InternalServerError(message, details);
  return new ProviderError(message, details);
}

/** 408, 429, 5xx and connection errors are worth another attempt; other 4xx are not. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof ProviderError)) return false;
  return err.status === 408 || err.status === 429 || err.status >= 500;
}

/** Failures that count toward a deployment's cooldown: 429, 401, 408, 404, 5xx and connection errors. */
export function countsTowardCooldown(err: unknown): boolean {
  if (!(err instanceof ProviderError)) return false;
  return [401, 404, 408, 429].includes(err.status) || err.status >= 500;
}

/**
 * An error event inside a stream (no HTTP status of its own): typed by the provider's error type or
 * code, so a mid-stream rate limit is still a `RateLimitError`.
 */
export function errorForStreamEvent(
  error: { type?: unknown; code?: unknown; message?: unknown } | undefined,
  details: Omit<ProviderErrorDetails, 'status'>,
): ProviderError {
  // Only a string (or numeric) type or code names a kind; an object names none (as its '[object Object]' never matched).
  const label = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  const kind = `${label(error?.type)} ${label(error?.code)}`;
  const status = kind.includes('rate_limit')
    ? 429
    : kind.includes('overloaded')
      ? 529
      : /invalid_request|context_length/.test(kind)
        ? 400
        : /authentication|invalid_api_key/.test(kind)
          ? 401
          : 500;
  const message = `stream failed: ${typeof error?.message === 'string' ? error.message : 'unknown error'}`;
  const code = typeof error?.code === 'string' ? error.code : typeof error?.type === 'string' ? error.type : undefined;
  return status === 500 ? new APIConnectionError(message, { ...details, status, code }) : errorForStatus(message, { ...details, status, code });
}

/** A request llmcache refuses before any call: a 400, like the provider would answer. */
export function invalidRequest(message: string, cause?: unknown): BadRequestError {
  return new BadRequestError(message, { status: 400, provider: 'llmcache', cause });
}
