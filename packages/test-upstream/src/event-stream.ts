// AWS event-stream answers (Bedrock ConverseStream): binary frames, each with its headers and a JSON payload,
// encoded by AWS's own codec so that the SDK reads exactly what Bedrock sends.
import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { dropConnection, isClosed, writeFlushed } from './http';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One frame: an `event` of a type (`messageStart`, …) or an `exception` (`throttlingException`, …). */
export function encodeFrame(kind: 'event' | 'exception', type: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: kind },
      [kind === 'event' ? ':event-type' : ':exception-type']: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/**
 * A `200 application/vnd.amazon.eventstream` answer, one write per frame. With `cutAfter` set, the
 * connection is destroyed once that many frames have been written.
 */
export class EventStream {
  private written = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly cutAfter: number | undefined,
  ) {}

  /** Sends the status line and headers. Returns false when the stream is over (client gone, or cut at 0 frames). */
  start(): boolean {
    if (isClosed(this.res)) return false;
    this.res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'upstream' });
    this.res.flushHeaders();
    if (this.cutAfter !== undefined && this.cutAfter <= 0) {
      dropConnection(this.res);
      return false;
    }
    return true;
  }

  /** Writes one frame; false when the stream is over and the caller must stop. */
  async send(frame: Uint8Array): Promise<boolean> {
    if (isClosed(this.res)) return false;
    await writeFlushed(this.res, frame);
    this.written += 1;
    if (this.cutAfter !== undefined && this.written >= this.cutAfter) {
      dropConnection(this.res);
      return false;
    }
    await nextTurn();
    return !isClosed(this.res);
  }

  /** Ends the answer; a stream scripted to be cut is destroyed instead. */
  finish(): void {
    if (isClosed(this.res)) return;
    if (this.cutAfter !== undefined) dropConnection(this.res);
    else this.res.end();
  }
}
