// How a native stream that stops short fails: nothing complete arrived, so it is a connection error (500),
// which the router retries and never stores.
import { APIConnectionError } from '../../errors';
import type { RequestContext } from './context';

/** The stream closed before `marker`, the event that says an answer is whole (`message_stop`, `done: true`, …). */
export function streamEndedEarly(ctx: RequestContext, marker: string): APIConnectionError {
  return new APIConnectionError(`stream ended before ${marker}`, { status: 500, provider: ctx.provider, model: ctx.model });
}

/** The answer to a stream request has no body to read. */
export function streamWithoutBody(ctx: RequestContext): APIConnectionError {
  return new APIConnectionError('stream has no body', { status: 500, provider: ctx.provider, model: ctx.model });
}
