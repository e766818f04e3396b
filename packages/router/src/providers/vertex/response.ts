// A Gemini answer as an OpenAI chat completion.
import { randomUUID } from 'node:crypto';
import type { PlainChatCompletion, PlainToolCall } from '../provider';
import { assistantMessage, chatCompletion } from '../kit/completion';
import { GEMINI_FINISH_REASONS } from '../kit/finish-reasons';
import { usageOf, type TokenUsage } from '../kit/usage';
import type { GeminiFunctionCall, GeminiPart, GeminiResponse } from './validate';

/** Gemini's reason as OpenAI's: a natural stop after a function call is `tool_calls`; an unknown reason is sent lower-cased. */
export function finishReasonOf(reason: string | undefined, calledTools: boolean): string {
  if (calledTools && (reason === undefined || reason === 'STOP')) return 'tool_calls';
  return GEMINI_FINISH_REASONS[reason ?? 'STOP'] ?? reason?.toLowerCase() ?? 'stop';
}

export function geminiUsage(usage: NonNullable<GeminiResponse['usageMetadata']>): TokenUsage {
  return usageOf(usage.promptTokenCount ?? 0, usage.candidatesTokenCount ?? 0, usage.totalTokenCount);
}

/** A part's function call in OpenAI's shape, with an id of our own (Gemini gives none). */
export function toolCallOf(functionCall: { name?: unknown; args?: unknown }): PlainToolCall {
  return { id: `call_${randomUUID()}`, type: 'function', function: { name: String(functionCall.name), arguments: JSON.stringify(functionCall.args ?? {}) } };
}

/**
 * A Gemini answer → an OpenAI chat completion (one choice per candidate). A blocked prompt, or a candidate
 * stopped for safety without text, is a `content_filter` choice with no content, as LiteLLM makes it.
 */
export function fromGeminiResponse(response: GeminiResponse, model: string): PlainChatCompletion {
  const candidates = response.candidates ?? (response.promptFeedback?.blockReason ? [{ finishReason: 'SAFETY' }] : []);
  const choices = candidates.map((candidate, i) => {
    const parts = candidate.content?.parts ?? [];
    const text = parts
      .filter((part): part is GeminiPart & { text: string } => typeof part.text === 'string' && part.thought !== true)
      .map((part) => part.text)
      .join('');
    const toolCalls = parts
      .filter((part): part is GeminiPart & { functionCall: GeminiFunctionCall } => Boolean(part.functionCall))
      .map((part) => toolCallOf(part.functionCall));
    const finishReason = finishReasonOf(candidate.finishReason, toolCalls.length > 0);
    return { index: candidate.index ?? i, message: assistantMessage(text, toolCalls, finishReason === 'content_filter'), finish_reason: finishReason };
  });
  return chatCompletion({
    id: `chatcmpl-${response.responseId ?? randomUUID()}`,
    model: response.modelVersion ?? model,
    choices,
    usage: response.usageMetadata ? geminiUsage(response.usageMetadata) : undefined,
  });
}
