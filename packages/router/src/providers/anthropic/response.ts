// An Anthropic message as an OpenAI chat completion.
import type { PlainChatCompletion, PlainToolCall } from '../provider';
import { assistantMessage, chatCompletion } from '../kit/completion';
import { ANTHROPIC_STOP_REASONS, mappedReason } from '../kit/finish-reasons';
import { usageOf } from '../kit/usage';
import type { Block } from './request';

export interface AnthropicMessage {
  id: string;
  model: string;
  content: Block[];
  stop_reason: string | null;
  usage?: { input_tokens?: number; output_tokens?: number };
}

/** An Anthropic message → an OpenAI chat completion. */
export function fromAnthropicMessage(message: AnthropicMessage): PlainChatCompletion {
  const text = message.content
    .filter((b): b is Extract<Block, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('');
  const toolCalls: PlainToolCall[] = message.content
    .filter((b): b is Extract<Block, { type: 'tool_use' }> => b.type === 'tool_use')
    .map((b) => ({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } }));
  return chatCompletion({
    id: message.id,
    model: message.model,
    choices: [{ index: 0, message: assistantMessage(text, toolCalls), finish_reason: mappedReason(ANTHROPIC_STOP_REASONS, message.stop_reason) }],
    // Anthropic always counts; a compatible server that does not leaves usage out rather than claim zero.
    usage: message.usage ? usageOf(message.usage.input_tokens ?? 0, message.usage.output_tokens ?? 0) : undefined,
  });
}
