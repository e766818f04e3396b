// Answers as the public types (and the `openai` package's) describe them, whatever a provider or a stored
// entry holds: the fields OpenAI always sends are there (`logprobs` and `refusal` null when absent, a
// chunk's `delta` and `finish_reason`), `content` is a string or null, and a `null` OpenAI's types do not
// allow is left out. Each caller holds its own copy of an answer, so it is made so in place.
import type { PlainChatCompletion, PlainChunk, PlainTextCompletion } from '../providers';
import { textOf } from '../providers/kit/message-parts';
import type { ChatCompletion, ChatCompletionChunk, TextCompletion } from '../types';

type Body<T> = Omit<T, '_hiddenParams'>;

/** Leaves out the optional fields that are `null`, which OpenAI's types type as absent. */
function withoutNulls(answer: { system_fingerprint?: unknown; usage?: unknown }): void {
  if (answer.system_fingerprint === null) delete answer.system_fingerprint;
  if (answer.usage === null) delete answer.usage;
}

export function asChatCompletion(answer: PlainChatCompletion): Body<ChatCompletion> {
  for (const choice of answer.choices) {
    const message = choice.message as PlainChatCompletion['choices'][number]['message'] & { content: unknown };
    // Some OpenAI-compatible servers answer content parts: their text is the content.
    if (Array.isArray(message.content)) message.content = textOf(message.content);
    message.refusal ??= null;
    choice.logprobs ??= null;
  }
  withoutNulls(answer);
  return answer as Body<ChatCompletion>;
}

export function asChatCompletionChunk(chunk: PlainChunk): ChatCompletionChunk {
  // A chunk without choices (some servers' usage chunk) has none.
  (chunk as { choices?: PlainChunk['choices'] }).choices ??= [];
  for (const choice of chunk.choices) {
    choice.delta ??= {};
    choice.finish_reason ??= null;
  }
  if (chunk.system_fingerprint === null) delete chunk.system_fingerprint;
  return chunk as ChatCompletionChunk;
}

export function asTextCompletion(answer: PlainTextCompletion): Body<TextCompletion> {
  for (const choice of answer.choices) choice.logprobs ??= null;
  withoutNulls(answer);
  return answer as Body<TextCompletion>;
}
