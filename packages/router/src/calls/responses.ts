import type { PlainChatCompletion, PlainTextCompletion } from '../providers';
import type { HiddenParams, Usage } from '../types';

/** Adds `_hiddenParams` without making it enumerable, so `JSON.stringify` gives the plain OpenAI object. */
export function withHiddenParams<T extends object>(value: T, hidden: HiddenParams): T & { readonly _hiddenParams: HiddenParams } {
  Object.defineProperty(value, '_hiddenParams', { value: hidden, enumerable: false, configurable: true });
  return value as T & { readonly _hiddenParams: HiddenParams };
}

/** A mock answer built locally, shaped like the provider's. */
export function mockCompletion(text: string, model: string, promptText: string): PlainChatCompletion {
  return {
    id: `chatcmpl-mock-${Date.now().toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: estimatedUsage(promptText, text),
  };
}

export function mockTextCompletion(text: string, model: string, prompt: string): PlainTextCompletion {
  return {
    id: `cmpl-mock-${Date.now().toString(36)}`,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }],
    usage: estimatedUsage(prompt, text),
  };
}

function estimatedUsage(promptText: string, completionText: string): Usage {
  const prompt = estimateTokens(promptText);
  const completion = estimateTokens(completionText);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Rough token count (4 characters a token) where the provider reports none. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Rough tokens of embedding inputs: texts as `estimateTokens` counts them, token ids one each. */
export function estimateInputTokens(inputs: ReadonlyArray<string | number[]>): number {
  const texts = inputs.filter((input): input is string => typeof input === 'string');
  const ids = inputs.reduce((n, input) => n + (typeof input === 'string' ? 0 : input.length), 0);
  return (texts.length > 0 ? estimateTokens(texts.join(' ')) : 0) + ids;
}

/** A chat answer worth keeping: every choice finished and carries text or tool calls. */
export function isCompleteChat(response: PlainChatCompletion): boolean {
  return (
    Array.isArray(response.choices) &&
    response.choices.length > 0 &&
    response.choices.every(
      (c) =>
        c.finish_reason !== null &&
        c.finish_reason !== undefined &&
        ((typeof c.message?.content === 'string' && c.message.content.length > 0) || (c.message?.tool_calls?.length ?? 0) > 0),
    )
  );
}

export function isCompleteText(response: PlainTextCompletion): boolean {
  return (
    Array.isArray(response.choices) &&
    response.choices.length > 0 &&
    response.choices.every((c) => typeof c.text === 'string' && c.text.length > 0 && c.finish_reason !== null)
  );
}

// Shapes of what the router stores, checked on every read: an entry that parses but does not have
// the shape (another version's, or damaged) is a miss, never a crash.
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function storedResponse(value: unknown): Record<string, unknown> | undefined {
  return isObject(value) && isObject(value.response) && typeof value.modelGroup === 'string' ? value.response : undefined;
}

export function isStoredChat(value: unknown): boolean {
  const response = storedResponse(value);
  return Array.isArray(response?.choices) && response.choices.every((c: unknown) => isObject(c) && isObject(c.message));
}

export function isStoredText(value: unknown): boolean {
  const response = storedResponse(value);
  return Array.isArray(response?.choices) && response.choices.every((c: unknown) => isObject(c) && typeof c.text === 'string');
}

export function isStoredTranscription(value: unknown): boolean {
  return typeof storedResponse(value)?.text === 'string';
}

export function isStoredEmbedding(value: unknown): boolean {
  return isObject(value) && (Array.isArray(value.embedding) || typeof value.embedding === 'string');
}

/** Fills in usage when the provider sent none (a stream without include_usage), estimated as `estimateTokens` does. */
export function withEstimatedUsage(response: PlainChatCompletion, promptText: string): PlainChatCompletion {
  if (response.usage) return response;
  const text = response.choices.map((c) => (c.message.content ?? '') + (c.message.tool_calls ?? []).map((t) => t.function.arguments).join('')).join('');
  return { ...response, usage: estimatedUsage(promptText, text) };
}
