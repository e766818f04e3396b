// Low-level HTTP helpers: reading bodies, JSON answers, SSE streams that can be cut, abortable waits.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Reads the whole request body. Rejects when the client goes away before the end. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Whether nothing more can be written to the response (client gone, socket destroyed, or already ended). */
export function isClosed(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || (res.socket?.destroyed ?? false);
}

/** Sends a JSON answer, unless the response is already closed. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(res, status, JSON.stringify(body), 'application/json', headers);
}

/** Sends a text answer with the given content type, unless the response is already closed. */
export function sendText(res: ServerResponse, status: number, text: string, contentType: string, headers: Record<string, string> = {}): void {
  if (isClosed(res) || res.headersSent) return;
  const payload = Buffer.from(text, 'utf8');
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': String(payload.length) });
  res.end(payload);
}

/** Destroys the connection without answering (or in the middle of an answer). */
export function dropConnection(res: ServerResponse): void {
  res.socket?.destroy();
  res.destroy();
}

/** Waits `ms` milliseconds; resolves early when the signal aborts (the caller then checks the response). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (!(ms > 0) || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A server-sent-events answer, one `res.write` per event. With `cutAfter` set, the connection is destroyed
 * once that many events have been written (and the terminating event is never sent). With another content
 * type (Ollama's `application/x-ndjson`), `sendRaw` writes its lines the same way.
 */
export class SseStream {
  private written = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly cutAfter: number | undefined,
    private readonly contentType = 'text/event-stream',
  ) {}

  /** Sends the status line and headers. Returns false when the stream is over (client gone, or cut at 0 events). */
  start(): boolean {
    if (isClosed(this.res)) return false;
    this.res.writeHead(200, {
      'content-type': this.contentType,
      'cache-control': 'no-cache',
    });
    this.res.flushHeaders();
    if (this.cutAfter !== undefined && this.cutAfter <= 0) {
      dropConnection(this.res);
      return false;
    }
    return true;
  }

  /**
   * Writes one event (`event: <name>\n` when given, then `data: <data>\n\n`) and yields to the event loop
   * so that events leave as separate writes. Returns false when the stream is over and the caller must stop.
   */
  send(data: unknown, event?: string): Promise<boolean> {
    return this.sendRaw(formatEvent(data, event));
  }

  /** Writes text exactly as given, as one event would be (counted, cut, flushed); same result as `send`. */
  async sendRaw(text: string): Promise<boolean> {
    if (isClosed(this.res)) return false;
    await writeFlushed(this.res, text);
    this.written += 1;
    if (this.cutAfter !== undefined && this.written >= this.cutAfter) {
      dropConnection(this.res);
      return false;
    }
    await nextTurn();
    return !isClosed(this.res);
  }

  /** Ends the stream, after the terminating event when given (`data: [DONE]`); a cut stream is destroyed instead. */
  finish(terminator?: { data: unknown; event?: string }): void {
    if (isClosed(this.res)) return;
    if (this.cutAfter !== undefined) {
      dropConnection(this.res);
      return;
    }
    if (terminator !== undefined) this.res.end(formatEvent(terminator.data, terminator.event));
    else this.res.end();
  }
}

function formatEvent(data: unknown, event: string | undefined): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${text}\n\n`;
}

/** Writes a chunk and waits until it has been handed to the operating system (or the response closed). */
export function writeFlushed(res: ServerResponse, chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const onClose = (): void => resolve();
    res.once('close', onClose);
    res.write(chunk, () => {
      res.off('close', onClose);
      resolve();
    });
  });
}
