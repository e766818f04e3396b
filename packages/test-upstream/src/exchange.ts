// What an endpoint handler gets: the request, its parsed body, the model, and what a scripted step asked for.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UpstreamState } from './state';
import { defaultReply } from './text';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The model of the request (body `model`, Azure deployment, or multipart `model`). */
  model: string;
  /** The parsed body (for transcriptions, the recorded `{ model, fileName, bytes, sha256, ... }`). */
  body: any;
  /** Text given by a `{ reply }` step for this request. */
  stepReply: string | undefined;
  /** Events to send before cutting the stream, from a `{ cutStreamAfter }` step. */
  cutAfter: number | undefined;
  state: UpstreamState;
}

/**
 * The reply text for this request: the `{ reply }` step's text, else the model's `setReply` text (a function
 * gets `input`), else `fallback` (by default `Reply to "<input>" from <model>`).
 */
export function replyText(exchange: Exchange, input: string, fallback = defaultReply(input, exchange.model)): string {
  if (exchange.stepReply !== undefined) return exchange.stepReply;
  const configured = exchange.state.reply(exchange.model);
  if (typeof configured === 'string') return configured;
  if (typeof configured === 'function') return configured(input);
  return fallback;
}

/** Unix time in seconds, as in the `created` fields. */
export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A positive integer parameter (`n`), or the fallback when absent or invalid. */
export function positiveInt(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}
