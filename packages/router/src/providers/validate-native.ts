// What Bedrock's and Vertex AI's answers must look like before they are translated (see validate.ts).
import type { RequestContext } from './http';
import { arrayOf, expected, expectShape, isObject, type Json, type Problem } from './validate';
import type { GeminiResponse } from './vertex';

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

function geminiCandidate(candidate: Json, path: string): Problem {
  if (candidate.content === undefined) return undefined; // a candidate stopped for safety has no content
  if (!isObject(candidate.content)) return expected(`${path}.content`, 'an object', candidate.content);
  const parts = candidate.content.parts;
  if (parts === undefined) return undefined;
  return arrayOf(`${path}.content.parts`, parts, false, (part, at) =>
    part.text !== undefined && typeof part.text !== 'string' ? expected(`${at}.text`, 'a string', part.text)
      : part.functionCall !== undefined && !(isObject(part.functionCall) && typeof part.functionCall.name === 'string')
        ? expected(`${at}.functionCall`, 'an object with a string name', part.functionCall)
        : undefined);
}

function geminiResponse(value: Json): Problem {
  if (value.candidates === undefined) {
    // A prompt Gemini refuses comes back without candidates, saying why.
    const feedback = isObject(value.promptFeedback) ? value.promptFeedback.blockReason : undefined;
    return typeof feedback === 'string' ? `the prompt was blocked (${feedback})` : expected('candidates', 'a non-empty array', undefined);
  }
  return arrayOf('candidates', value.candidates, true, geminiCandidate);
}

/** A Gemini answer or stream event: a non-empty `candidates` array whose parts are text or named function calls. */
export function expectGeminiResponse(value: unknown, ctx: RequestContext): GeminiResponse {
  return expectShape(value, 'answer is not a Gemini response', geminiResponse, ctx);
}
