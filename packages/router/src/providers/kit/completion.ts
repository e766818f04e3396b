// The chat completion a native answer is translated into.
import type { PlainChatCompletion, PlainToolCall } from '../provider';

type Choice = PlainChatCompletion['choices'][number];

/** Now, in the seconds OpenAI's `created` counts. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The assistant's message: its text, and its tool calls when there are any. The content is null, as
 * OpenAI sends it, when there is no text beside tool calls or (`filtered`) when a filter withheld the answer.
 */
export function assistantMessage(text: string, toolCalls: PlainToolCall[], filtered = false): Choice['message'] {
  const empty = text === '' && (toolCalls.length > 0 || filtered);
  return { role: 'assistant', content: empty ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
}

/** A `chat.completion`; `usage` is left out, not zeroed, when the provider did not count. */
export function chatCompletion(answer: {
  id: string;
  created?: number;
  model: string;
  choices: Choice[];
  usage?: PlainChatCompletion['usage'] | undefined;
}): PlainChatCompletion {
  return {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created ?? nowSeconds(),
    model: answer.model,
    choices: answer.choices,
    ...(answer.usage ? { usage: answer.usage } : {}),
  };
}
