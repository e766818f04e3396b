// Scripted answers sent exactly as given, for clients' handling of answers that break the API's promises.
import type { ServerResponse } from 'node:http';
import { SseStream, sendText } from './http';
import type { BodyStep, RawStreamStep, Step } from './types';

/** Answers with the step's body: a string as it is, anything else as its JSON. */
export function sendBody(res: ServerResponse, step: BodyStep): void {
  const text = typeof step.body === 'string' ? step.body : (JSON.stringify(step.body) ?? '');
  sendText(res, step.status ?? 200, text, step.contentType ?? 'application/json');
}

/** Streams the step's blocks, one write each, then ends the response without adding anything. */
export async function sendRawStream(res: ServerResponse, step: RawStreamStep): Promise<void> {
  const stream = new SseStream(res, undefined);
  if (!stream.start()) return;
  for (const block of step.rawStream) if (!(await stream.sendRaw(block))) return;
  stream.finish();
}

/**
 * Refuses a malformed `{ body }` or `{ rawStream }` step when it is scripted, so that a typo fails the test
 * that made it rather than some later request.
 */
export function checkRawStep(step: Step): void {
  if ('body' in step) {
    const { status } = step;
    if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
      throw new RangeError(`script: a { body } step's status must be an integer from 200 to 599, got ${String(status)}`);
    }
    if (step.contentType !== undefined && typeof step.contentType !== 'string') {
      throw new TypeError(`script: a { body } step's contentType must be a string, got ${typeof step.contentType}`);
    }
  } else if ('rawStream' in step) {
    if (!Array.isArray(step.rawStream) || !step.rawStream.every((block) => typeof block === 'string')) {
      throw new TypeError('script: a { rawStream } step must be an array of strings (SSE text blocks)');
    }
  }
}
