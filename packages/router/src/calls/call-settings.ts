import { CacheConfigError, MAX_TIMER_MS } from '@llmcache/core';
import { canonicalJson, describeValue, validateCacheControl } from '@llmcache/core/internal';
import { MAX_RETRIES, RULES } from '../config/checks';
import { invalidRequest } from '../errors';
import { isHeaderName, isHeaderValue } from '../headers';
import { isObject } from '../providers/validate';

/** The transport and control options of one request, checked before any attempt. */
export interface CallSettings {
  /** `timeout` (or `request_timeout`) in ms: bounds each attempt, and the whole call including retries. */
  timeoutMs: number | undefined;
  /** `stream_timeout` in ms: for a stream, bounds the first chunk and each gap between chunks. */
  streamTimeoutMs: number | undefined;
  /** `numRetries` (or `num_retries`). */
  numRetries: number | undefined;
  /** `extra_headers`, `headers` and `organization`, as HTTP headers with lower-case names. */
  headers: Readonly<Record<string, string>>;
  signal: AbortSignal | undefined;
  /** `drop_params` (or `dropParams`) of the request: when given, it decides for this call instead of the deployment's. */
  dropParams: boolean | undefined;
}

/** Every request field `readCallSettings` reads: a request with none of them has the default settings. */
export const CALL_SETTING_FIELDS: ReadonlySet<string> = new Set([
  'timeout',
  'request_timeout',
  'stream_timeout',
  'streamTimeout',
  'numRetries',
  'num_retries',
  'headers',
  'extraHeaders',
  'extra_headers',
  'organization',
  'signal',
  'mockResponse',
  'fileName',
  'stream',
  'stream_options',
  'cache',
  'drop_params',
  'dropParams',
  'extra_body',
]);

/** The settings of a request that brings none of its own. */
export const DEFAULT_CALL_SETTINGS: CallSettings = Object.freeze({
  timeoutMs: undefined,
  streamTimeoutMs: undefined,
  numRetries: undefined,
  headers: Object.freeze({}),
  signal: undefined,
  dropParams: undefined,
});

const HEADER_FIELDS = ['headers', 'extraHeaders', 'extra_headers'] as const;
const HEADER_VALUE_RULE = 'no CR, LF, NUL or other control characters, nothing past U+00FF';

/**
 * Reads a request's transport and control options. A bad one is a 400 naming it, so that nothing a
 * request brings can fail an attempt and count against a deployment.
 */
export function readCallSettings(request: Record<string, unknown>): CallSettings {
  const signal = request.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidRequest(`signal: must be an AbortSignal, got ${describeValue(signal)}`);
  for (const name of ['mockResponse', 'fileName'] as const) {
    const value = request[name];
    if (value !== undefined && typeof value !== 'string') throw invalidRequest(`${name}: must be a string, got ${describeValue(value)}`);
  }
  try {
    validateCacheControl(request.cache);
  } catch (err) {
    // The request's fault, with or without a cache: a 400 naming `cache.<control>`, as for any field.
    if (err instanceof CacheConfigError) throw invalidRequest(`${err.option}: ${err.detail}`, err);
    throw err;
  }
  // `null` is "not given", as OpenAI's types have it.
  if (request.stream != null && typeof request.stream !== 'boolean')
    throw invalidRequest(`stream: must be true or false, got ${describeValue(request.stream)}`);
  const streamOptions = request.stream_options;
  if (streamOptions != null && !isObject(streamOptions)) {
    throw invalidRequest(`stream_options: must be an object such as { include_usage: true }, got ${describeValue(streamOptions)}`);
  }
  if (request.extra_body != null && !isObject(request.extra_body)) {
    throw invalidRequest(`extra_body: must be an object of params to send, got ${describeValue(request.extra_body)}`);
  }
  return {
    timeoutMs: seconds(request, 'timeout') ?? seconds(request, 'request_timeout'),
    streamTimeoutMs: seconds(request, 'stream_timeout') ?? seconds(request, 'streamTimeout'),
    numRetries: retries(request, 'numRetries') ?? retries(request, 'num_retries'),
    headers: headersOf(request, badRequest),
    signal: signal,
    dropParams: flag(request, 'drop_params') ?? flag(request, 'dropParams'),
  };
}

function flag(request: Record<string, unknown>, name: string): boolean | undefined {
  const value = request[name];
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalidRequest(`${name}: must be true or false, got ${describeValue(value)}`);
}

const badRequest = (field: string, detail: string) => invalidRequest(`${field}: ${detail}`);

function seconds(request: Record<string, unknown>, name: string): number | undefined {
  const value = request[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !RULES.timerSeconds.ok(value)) {
    throw invalidRequest(`${name}: must be a number of seconds above 0 and at most ${MAX_TIMER_MS / 1000}, got ${describeValue(value)}`);
  }
  return value * 1000;
}

function retries(request: Record<string, unknown>, name: string): number | undefined {
  const value = request[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !RULES.retries.ok(value)) {
    throw invalidRequest(`${name}: must be a whole number from 0 to ${MAX_RETRIES}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * HTTP headers from `extra_headers`/`headers`/`extraHeaders` and `organization`, the same for deployments
 * and requests; `fail` builds the error for a field Node's fetch could not send.
 */
export function headersOf(source: Record<string, unknown>, fail: (field: string, detail: string) => Error): Record<string, string> {
  const out: Record<string, string> = {};
  // Header values may be secrets: an error names the field, never the value.
  if (source.organization !== undefined) {
    if (!isHeaderValue(source.organization)) throw fail('organization', `must be a string an HTTP header can carry (${HEADER_VALUE_RULE})`);
    out['openai-organization'] = source.organization;
  }
  for (const field of HEADER_FIELDS) {
    const headers = source[field];
    if (headers === undefined || headers === null) continue;
    if (typeof headers !== 'object' || Array.isArray(headers)) throw fail(field, `must be an object of header names to values, got ${describeValue(headers)}`);
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined || value === null) continue;
      if (!isHeaderName(name)) throw fail(field, `header name ${describeValue(name)} is not an HTTP token`);
      if (!['string', 'number', 'boolean'].includes(typeof value) || !isHeaderValue(String(value))) {
        throw fail(field, `header ${describeValue(name)} has a value an HTTP header cannot carry (${HEADER_VALUE_RULE})`);
      }
      out[name.toLowerCase()] = String(value);
    }
  }
  return out;
}

/**
 * Canonical JSON of the params that are sent and keyed; a param JSON cannot hold (a cycle, a BigInt)
 * is a 400 naming it, whether or not a cache is in use.
 */
export function canonicalParams(params: Record<string, unknown>): string {
  try {
    return canonicalJson(params);
  } catch (err) {
    const culprit = Object.keys(params).find((name) => {
      try {
        canonicalJson([params[name]]); // in an array, a value JSON drops (undefined, a function) is no culprit
        return false;
      } catch {
        return true;
      }
    });
    throw invalidRequest(`${culprit ?? 'request'}: cannot be sent as JSON (${(err as Error).message.replace(/^canonicalJson: /, '')})`, err);
  }
}
