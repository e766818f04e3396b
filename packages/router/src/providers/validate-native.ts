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
  // A prompt Gemini refuses comes back without candidates, saying why: an answer of its own (content_filter).
  if (value.candidates === undefined && typeof blockReasonOf(value) === 'string') return undefined;
  return arrayOf('candidates', value.candidates, true, geminiCandidate);
}

/** Why Gemini blocked the prompt (`promptFeedback.blockReason`: `SAFETY`, `PROHIBITED_CONTENT`, …), if it did. */
function blockReasonOf(value: Json): unknown {
  return isObject(value.promptFeedback) ? value.promptFeedback.blockReason : undefined;
}

/** A Gemini answer or stream event: a non-empty `candidates` array whose parts are text or named function calls, or a blocked prompt. */
export function expectGeminiResponse(value: unknown, ctx: RequestContext): GeminiResponse {
  return expectShape(value, 'answer is not a Gemini response', geminiResponse, ctx);
}

/** What Ollama answers (and streams, one of these per line). */
export interface OllamaAnswer {
  model?: string;
  created_at?: string;
  /** /api/generate's text. */
  response?: string;
  /** /api/chat's message. */
  message?: { role?: string; content?: string; tool_calls?: Array<{ function: { name: string; arguments?: unknown } }> };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
}

function counts(value: Json): Problem {
  for (const name of ['prompt_eval_count', 'eval_count'] as const) {
    if (value[name] !== undefined && typeof value[name] !== 'number') return expected(name, 'a number', value[name]);
  }
  return typeof value.done === 'boolean' ? undefined : expected('done', 'true or false', value.done);
}

function ollamaGenerate(value: Json): Problem {
  return typeof value.response === 'string' ? counts(value) : expected('response', 'a string', value.response);
}

function ollamaChat(value: Json): Problem {
  const message = value.message;
  if (!isObject(message)) return expected('message', 'an object', message);
  if (message.content !== undefined && typeof message.content !== 'string') return expected('message.content', 'a string', message.content);
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    const problem = arrayOf('message.tool_calls', message.tool_calls, false, (call, at) =>
      isObject(call.function) && typeof call.function.name === 'string' ? undefined : expected(`${at}.function`, 'an object with a string name', call.function));
    if (problem) return problem;
  }
  return counts(value);
}

/** An /api/generate answer or stream line: a string `response`, a boolean `done`, numeric counts. */
export function expectOllamaGenerate(value: unknown, ctx: RequestContext): OllamaAnswer {
  return expectShape(value, 'answer is not an Ollama generate response', ollamaGenerate, ctx);
}

/** An /api/chat answer or stream line: a `message` with string content and named tool calls, a boolean `done`. */
export function expectOllamaChat(value: unknown, ctx: RequestContext): OllamaAnswer {
  return expectShape(value, 'answer is not an Ollama chat response', ollamaChat, ctx);
}

/** An /api/embed answer: one array of numbers per input. */
export function expectOllamaEmbed(value: unknown, inputs: number, ctx: RequestContext): OllamaAnswer & { embeddings: number[][] } {
  return expectShape(value, 'answer is not an Ollama embed response', (v) => {
    const list = v.embeddings;
    if (!Array.isArray(list) || !list.every((vector) => Array.isArray(vector) && vector.every((n) => typeof n === 'number'))) {
      return expected('embeddings', 'an array of number arrays', list);
    }
    return list.length === inputs ? undefined : `embeddings: expected ${inputs} vectors, got ${list.length}`;
  }, ctx);
}
