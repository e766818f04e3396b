// What Anthropic's answers and stream events must look like before they are translated (see ../validate.ts).
import type { RequestContext } from '../kit/context';
import { arrayOf, expected, expectShape, isObject, type Json, type Problem } from '../validate';

function anthropicBlock(block: Json, path: string): Problem {
  if (block.type === 'text') return typeof block.text === 'string' ? undefined : expected(`${path}.text`, 'a string', block.text);
  if (block.type === 'tool_use') return typeof block.name === 'string' ? undefined : expected(`${path}.name`, 'a string', block.name);
  return typeof block.type === 'string' ? undefined : expected(`${path}.type`, 'a string', block.type);
}

/** An Anthropic Messages answer: a `content` array of typed blocks (`usage`, when given, an object). */
export function expectAnthropicMessage<T>(value: unknown, ctx: RequestContext): T {
  return expectShape(value, 'answer is not an Anthropic message', anthropicMessage, ctx);
}

function anthropicMessage(message: Json): Problem {
  if (message.usage !== undefined && !isObject(message.usage)) return expected('usage', 'an object', message.usage);
  return arrayOf('content', message.content, false, anthropicBlock);
}

function anthropicEvent(event: Json): Problem {
  if (typeof event.type !== 'string') return expected('type', 'a string', event.type);
  if (event.type === 'message_start' && !isObject(event.message)) return expected('message', 'an object', event.message);
  if (event.type === 'content_block_start' && !isObject(event.content_block)) return expected('content_block', 'an object', event.content_block);
  if (event.type !== 'content_block_delta') return undefined;
  const delta = event.delta;
  if (!isObject(delta)) return expected('delta', 'an object', delta);
  if (delta.type === 'text_delta' && typeof delta.text !== 'string') return expected('delta.text', 'a string', delta.text);
  if (delta.type === 'input_json_delta' && typeof delta.partial_json !== 'string') return expected('delta.partial_json', 'a string', delta.partial_json);
  return undefined;
}

/**
 * An Anthropic stream event as `anthropicEvent` checks it: a string `type`; for its type, `message` or
 * `content_block` an object, `delta` an object whose text or partial JSON is a string. The fields inside
 * those that are not checked are typed as Anthropic documents them, and read with a default.
 */
export interface AnthropicEvent {
  type: string;
  /** `message_start` */
  message?: { id?: string; model?: string; usage?: { input_tokens?: number } };
  /** `content_block_start` */
  content_block?: { type?: unknown; id?: string; name?: string };
  /** `content_block_delta` (`text` for `text_delta`, `partial_json` for `input_json_delta`), `message_delta` (`stop_reason`) */
  delta?: { type?: unknown; text?: string; partial_json?: string; stop_reason?: string | null };
  /** `message_delta` */
  usage?: { output_tokens?: number };
  /** `error` */
  error?: { type?: unknown; code?: unknown; message?: unknown };
}

/** An Anthropic stream event: an object with a string `type`, and the fields its type is read for. */
export function expectAnthropicEvent(value: unknown, ctx: RequestContext): AnthropicEvent {
  return expectShape(value, 'stream sent an event that is not an Anthropic stream event', anthropicEvent, ctx);
}
