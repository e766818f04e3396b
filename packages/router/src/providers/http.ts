import { APIConnectionError, errorForStatus, ProviderError, TimeoutError } from '../errors';
import type { RequestContext } from './kit/context';
import { streamWithoutBody } from './kit/stream-errors';

export type { RequestContext } from './kit/context';

/** Sends a request; network failures and error statuses become typed `ProviderError`s. */
export async function send(url: string, init: RequestInit, ctx: RequestContext): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: ctx.signal });
  } catch (err) {
    throw connectionError(err, ctx);
  }
  if (response.ok) return response;
  const text = await response.text().catch(() => '');
  const { message, code } = parseErrorBody(text, response.statusText);
  throw errorForStatus(message, {
    status: response.status,
    provider: ctx.provider,
    model: ctx.model,
    retryAfter: retryAfterOf(response.headers),
    code,
  });
}

/** Reads a JSON body; a body cut off or not JSON is a connection error (nothing usable arrived). */
export async function readJson<T>(response: Response, ctx: RequestContext): Promise<T> {
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw connectionError(err, ctx);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new APIConnectionError(`answer is not JSON: ${text.slice(0, 200)}`, { status: 500, provider: ctx.provider, model: ctx.model, cause: err });
  }
}

/** Maps a fetch/stream failure: our own timeout is a 408 TimeoutError, anything else a connection error. */
export function connectionError(err: unknown, ctx: RequestContext): ProviderError {
  if (err instanceof ProviderError) return err;
  // Duck-typed: the abort reason is a DOMException, which may come from another realm than our Error.
  const reason = ctx.signal.aborted ? (ctx.signal.reason as { name?: unknown } | undefined) : undefined;
  if (reason?.name === 'TimeoutError') {
    return new TimeoutError('no answer within the timeout', { status: 408, provider: ctx.provider, model: ctx.model, cause: err });
  }
  const { message, cause } = (err ?? {}) as { message?: string; cause?: { message?: string } };
  const detail = message === undefined ? String(err) : cause?.message ? `${message}: ${cause.message}` : message;
  return new APIConnectionError(`connection failed: ${detail}`, { status: 500, provider: ctx.provider, model: ctx.model, cause: err });
}

function parseErrorBody(text: string, fallback: string): { message: string; code: string | undefined } {
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string | null; type?: string } | string; message?: string };
    if (typeof body.error === 'string') return { message: body.error, code: undefined };
    const message = body.error?.message ?? body.message;
    if (message) return { message, code: body.error?.code ?? body.error?.type ?? undefined };
  } catch {
    // not JSON: use the text itself
  }
  return { message: text.slice(0, 500) || fallback, code: undefined };
}

/** Seconds to wait: OpenAI's `retry-after-ms` when present (finer), else `Retry-After`. */
function retryAfterOf(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : parseRetryAfter(headers.get('retry-after'));
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date. */
export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/**
 * Parses a newline-delimited JSON body (Ollama's streams) incrementally, yielding each line's text as soon
 * as it is whole; blank lines are skipped. A body that breaks off throws a connection error.
 */
export async function* readNdjson(response: Response, ctx: RequestContext): AsyncGenerator<string> {
  for await (const lines of readLines(response, ctx, true)) {
    for (const line of lines) if (line.trim() !== '') yield line;
  }
}

/**
 * The body's lines (`\n` or `\r\n`), those each network read completed together (one await per read, not
 * per line); with `unterminatedLast`, also a last one without a line break.
 */
async function* readLines(response: Response, ctx: RequestContext, unterminatedLast: boolean): AsyncGenerator<string[]> {
  if (!response.body) throw streamWithoutBody(ctx);
  const decoder = new TextDecoder();
  let buffer = '';
  // A fetch body is bytes (Node's types leave its chunks `any`).
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        // A read after our own abort can wait forever when the body had already arrived whole.
        ctx.signal.throwIfAborted();
        chunk = await reader.read();
      } catch (err) {
        throw connectionError(err, ctx);
      }
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      if (lines.length > 0) yield lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
    }
    if (unterminatedLast && buffer !== '') yield [buffer];
  } finally {
    reader.releaseLock();
    // Stop the download when the consumer leaves early.
    void response.body.cancel().catch(() => {});
  }
}

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/**
 * Parses a server-sent-event body incrementally, yielding each event as soon as its blank line arrives.
 * A body that breaks off throws a connection error.
 */
export async function* readSse(response: Response, ctx: RequestContext): AsyncGenerator<SseEvent> {
  let event: string | undefined;
  let data: string[] = [];
  // An event is complete only once its blank line has arrived, so a line cut off at the end is dropped.
  for await (const lines of readLines(response, ctx, false)) {
    for (const line of lines) {
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        event = undefined;
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line[5] === ' ' ? 6 : 5));
      } else if (line.startsWith('event:')) {
        event = line.slice(6).trim();
      } // comments (":") and other fields are ignored, as the SSE spec says
    }
  }
  if (data.length > 0) yield { event, data: data.join('\n') };
}
