// What Vertex AI's Gemini answers and stream events must look like before they are translated (see ../validate.ts).
import type { RequestContext } from '../kit/context';
import { arrayOf, expected, expectShape, isObject, type Json, type Problem } from '../validate';

/** A part of a candidate's content, as `geminiCandidate` checks it: `text` a string, `functionCall` an object with a string name. */
export interface GeminiPart {
  text?: string;
  thought?: unknown;
  functionCall?: GeminiFunctionCall;
  [field: string]: unknown;
}

export interface GeminiFunctionCall {
  name: string;
  args?: unknown;
}

/** What Vertex AI answers (and streams, one of these per event). */
export interface GeminiResponse {
  candidates?: Array<{ content?: { parts?: GeminiPart[] }; finishReason?: string; index?: number }>;
  /** Set, without candidates, when the prompt itself was blocked. */
  promptFeedback?: { blockReason?: string };
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number; totalTokenCount?: number };
  modelVersion?: string;
  responseId?: string;
}

function geminiCandidate(candidate: Json, path: string): Problem {
  if (candidate.content === undefined) return undefined; // a candidate stopped for safety has no content
  if (!isObject(candidate.content)) return expected(`${path}.content`, 'an object', candidate.content);
  const parts = candidate.content.parts;
  if (parts === undefined) return undefined;
  return arrayOf(`${path}.content.parts`, parts, false, (part, at) =>
    part.text !== undefined && typeof part.text !== 'string'
      ? expected(`${at}.text`, 'a string', part.text)
      : part.functionCall !== undefined && !(isObject(part.functionCall) && typeof part.functionCall.name === 'string')
        ? expected(`${at}.functionCall`, 'an object with a string name', part.functionCall)
        : undefined,
  );
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
