import type { PlainChatCompletion, PlainTextCompletion } from './providers';
import type { HiddenParams } from './types';

/** Adds `_hiddenParams` without making it enumerable, so `JSON.stringify` gives the plain OpenAI object. */
export function withHiddenParams<T extends object>(value: T, hidden: HiddenParams): T & { readonly _hiddenParams: HiddenParams } {
  Object.defineProperty(value, '_hiddenParams', { value: hidden, enumerable: false, configurable: true });
  return value as T & { readonly _hiddenParams: HiddenParams };
}

/** A mock answer built locally, shaped like the provider's. */
export function mockCompletion(text: string, model: string, promptText: string): PlainChatCompletion {
  const completion = estimateTokens(text);
  const prompt = estimateTokens(promptText);
  return {
    id: `chatcmpl-mock-${Date.now().toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

export function mockTextCompletion(text: string, model: string, prompt: string): PlainTextCompletion {
  const completion = estimateTokens(text);
  const promptTokens = estimateTokens(prompt);
  return {
    id: `cmpl-mock-${Date.now().toString(36)}`,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion },
  };
}

/** Rough token count (4 characters a token) where the provider reports none. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
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
  return Array.isArray(response.choices) && response.choices.length > 0 && response.choices.every((c) => typeof c.text === 'string' && c.text.length > 0 && c.finish_reason !== null);
}
