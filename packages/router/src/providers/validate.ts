// What an upstream answer must look like before a provider hands it out (and the router may store it): the
// checks every provider builds on, and OpenAI's shapes (a native API's own are in its folder's validate.ts).
// A 200 of the wrong shape is the upstream misbehaving, so it becomes an InternalServerError (status 500,
// retried like one), never a completion. A body or chunk that is not JSON at all stays an
// APIConnectionError, as `readJson` has it: nothing usable arrived.
import { APIConnectionError, errorForStreamEvent, InternalServerError } from '../errors';
import type { RequestContext, SseEvent } from './http';
import type { PlainChatCompletion, PlainChunk, PlainEmbeddingResponse, PlainTextCompletion, PlainTranscription } from './provider';

export type Json = Record<string, unknown>;
/** What is wrong with a value, or undefined when nothing is. */
export type Problem = string | undefined;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`;
}

export const expected = (path: string, what: string, value: unknown): string => `${path}: expected ${what}, got ${kindOf(value)}`;

/** Every entry of the array at `path` is an object that passes `each`. */
export function arrayOf(path: string, value: unknown, nonEmpty: boolean, each: (item: Json, path: string) => Problem): Problem {
  const what = nonEmpty ? 'a non-empty array' : 'an array';
  if (!Array.isArray(value) || (nonEmpty && value.length === 0)) return expected(path, what, value);
  for (const [i, item] of value.entries()) {
    const problem = isObject(item) ? each(item, `${path}[${i}]`) : expected(`${path}[${i}]`, 'an object', item);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function chatChoice(choice: Json, path: string): Problem {
  const message = choice.message;
  if (!isObject(message)) return expected(`${path}.message`, 'an object', message);
  if (message.tool_calls !== undefined && message.tool_calls !== null && !Array.isArray(message.tool_calls)) {
    return expected(`${path}.message.tool_calls`, 'an array', message.tool_calls);
  }
  const content = message.content;
  // Some OpenAI-compatible servers answer content parts (an array); a number or an object is no answer.
  if (content === undefined || content === null || typeof content === 'string' || Array.isArray(content)) return undefined;
  return expected(`${path}.message.content`, 'a string, null or content parts', content);
}

function textChoice(choice: Json, path: string): Problem {
  return typeof choice.text === 'string' ? undefined : expected(`${path}.text`, 'a string', choice.text);
}

function embeddingItem(item: Json, path: string): Problem {
  const vector = item.embedding;
  // A base64 `encoding_format` answers a string per vector.
  if (typeof vector !== 'string' && !(Array.isArray(vector) && vector.every((n) => typeof n === 'number'))) {
    return expected(`${path}.embedding`, 'an array of numbers or a base64 string', vector);
  }
  return Number.isInteger(item.index) ? undefined : expected(`${path}.index`, 'an integer', item.index);
}

/** The provider's own error inside an answer of the wrong shape, as its message and code. */
function reportedError(value: unknown): { message: string; code: string | undefined } | undefined {
  const error = isObject(value) ? value.error : undefined;
  if (typeof error === 'string') return { message: error, code: undefined };
  if (!isObject(error)) return undefined;
  const code = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : undefined;
  return { message: typeof error.message === 'string' ? error.message : JSON.stringify(error), code };
}

function preview(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).slice(0, 200);
}

/** `value` when it is an object `check` finds nothing wrong with; else an InternalServerError saying what is wrong. */
export function expectShape<T>(value: unknown, what: string, check: (value: Json) => Problem, ctx: RequestContext): T {
  const problem = isObject(value) ? check(value) : `expected an object, got ${kindOf(value)}`;
  if (problem === undefined) return value as T;
  const error = reportedError(value);
  const detail = error ? `it reports an error: ${error.message}` : isObject(value) ? `${problem} (${preview(value)})` : problem;
  throw new InternalServerError(`${what}: ${detail}`, { status: 500, provider: ctx.provider, model: ctx.model, code: error?.code });
}

export function expectChatCompletion(value: unknown, ctx: RequestContext): PlainChatCompletion {
  return expectShape(value, 'answer is not a chat completion', (v) => arrayOf('choices', v.choices, true, chatChoice), ctx);
}

export function expectTextCompletion(value: unknown, ctx: RequestContext): PlainTextCompletion {
  return expectShape(value, 'answer is not a text completion', (v) => arrayOf('choices', v.choices, true, textChoice), ctx);
}

/** A streamed text completion chunk: `choices`, when present, holds objects with a string `text` (a usage-only chunk has `[]`). */
export function expectTextChunk(value: unknown, ctx: RequestContext): PlainTextCompletion {
  return expectShape(
    value,
    'stream sent a chunk that is not a text completion chunk',
    (v) => (v.choices === undefined ? undefined : arrayOf('choices', v.choices, false, textChoice)),
    ctx,
  );
}

/** The router checks that there is one vector per input. */
export function expectEmbeddings(value: unknown, ctx: RequestContext): PlainEmbeddingResponse {
  return expectShape(value, 'answer is not an embedding list', (v) => arrayOf('data', v.data, false, embeddingItem), ctx);
}

export function expectTranscription(value: unknown, ctx: RequestContext): PlainTranscription {
  return expectShape(value, 'answer is not a transcription', (v) => (typeof v.text === 'string' ? undefined : expected('text', 'a string', v.text)), ctx);
}

/**
 * The JSON of one stream event. An event that reports an error (`event: error`, or a payload with an
 * `error` object, as OpenAI-compatible servers and Anthropic send) throws it, typed by its type or code.
 */
export function parseStreamEvent(event: SseEvent, ctx: RequestContext): unknown {
  const details = { provider: ctx.provider, model: ctx.model };
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch (err) {
    if (event.event === 'error') throw errorForStreamEvent({ message: event.data }, details);
    throw new APIConnectionError(`stream sent a chunk that is not JSON: ${event.data.slice(0, 200)}`, { ...details, status: 500, cause: err });
  }
  const error = isObject(data) ? data.error : undefined;
  if (isObject(error)) throw errorForStreamEvent(error, details);
  if (typeof error === 'string') throw errorForStreamEvent({ message: error }, details);
  if (event.event === 'error') {
    // A bare error payload: keep its type and code for the typing, and say something when it has no message.
    throw errorForStreamEvent(
      isObject(data) ? { ...data, message: typeof data.message === 'string' ? data.message : preview(data) } : { message: preview(data) },
      details,
    );
  }
  return data;
}

/** An OpenAI chunk: an object whose `choices`, when present, is an array of objects (a usage-only chunk has `[]`). */
export function expectChatChunk(value: unknown, ctx: RequestContext): PlainChunk {
  return expectShape(
    value,
    'stream sent a chunk that is not a chat completion chunk',
    (v) => (v.choices === undefined ? undefined : arrayOf('choices', v.choices, false, chunkChoice)),
    ctx,
  );
}

function chunkChoice(choice: Json, path: string): Problem {
  return choice.delta === undefined || isObject(choice.delta) ? undefined : expected(`${path}.delta`, 'an object', choice.delta);
}
