// What Bedrock's Converse answers and stream events must look like before they are translated (see ../validate.ts).
import type { RequestContext } from '../kit/context';
import { arrayOf, expected, expectShape, isObject, type Json, type Problem } from '../validate';

function bedrockBlock(block: Json, path: string): Problem {
  if (block.text !== undefined && typeof block.text !== 'string') return expected(`${path}.text`, 'a string', block.text);
  if (block.toolUse !== undefined && !(isObject(block.toolUse) && typeof block.toolUse.name === 'string')) {
    return expected(`${path}.toolUse`, 'an object with a string name', block.toolUse);
  }
  return undefined;
}

function bedrockOutput(value: Json): Problem {
  const message = isObject(value.output) ? value.output.message : undefined;
  if (!isObject(message)) return expected('output.message', 'an object', message);
  if (value.usage !== undefined && !isObject(value.usage)) return expected('usage', 'an object', value.usage);
  return arrayOf('output.message.content', message.content, false, bedrockBlock);
}

/** A Converse answer: `output.message.content` is an array of blocks (text a string, a toolUse named). */
export function expectBedrockOutput<T>(value: unknown, ctx: RequestContext): T {
  return expectShape(value, 'answer is not a Bedrock Converse output', bedrockOutput, ctx);
}

/** One ConverseStream event, as the SDK hands it out. */
export interface BedrockStreamEvent {
  messageStart?: { role?: string };
  contentBlockStart?: { contentBlockIndex?: number; start?: { toolUse?: { toolUseId?: string; name?: string } } };
  contentBlockDelta?: { contentBlockIndex?: number; delta?: { text?: string; toolUse?: { input?: string } } };
  messageStop?: { stopReason?: string };
  metadata?: { usage?: { inputTokens?: number; outputTokens?: number; totalTokens?: number } };
  [member: string]: unknown;
}

function bedrockEvent(event: Json): Problem {
  const delta = isObject(event.contentBlockDelta) ? event.contentBlockDelta.delta : undefined;
  if (event.contentBlockDelta !== undefined && !isObject(delta)) return expected('contentBlockDelta.delta', 'an object', delta);
  if (isObject(delta) && delta.text !== undefined && typeof delta.text !== 'string') return expected('contentBlockDelta.delta.text', 'a string', delta.text);
  if (isObject(delta) && delta.toolUse !== undefined && !(isObject(delta.toolUse) && typeof delta.toolUse.input === 'string')) {
    return expected('contentBlockDelta.delta.toolUse.input', 'a string', isObject(delta.toolUse) ? delta.toolUse.input : delta.toolUse);
  }
  const start = isObject(event.contentBlockStart) ? event.contentBlockStart.start : undefined;
  if (isObject(start) && start.toolUse !== undefined && !(isObject(start.toolUse) && typeof start.toolUse.name === 'string')) {
    return expected('contentBlockStart.start.toolUse', 'an object with a string name', start.toolUse);
  }
  return undefined;
}

export function expectBedrockEvent(value: unknown, ctx: RequestContext): BedrockStreamEvent {
  return expectShape(value, 'stream sent an event that is not a Bedrock ConverseStream event', bedrockEvent, ctx);
}
