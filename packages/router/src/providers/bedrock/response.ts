// A Converse answer as an OpenAI chat completion.
import { randomUUID } from 'node:crypto';
import type * as BedrockSdk from '@aws-sdk/client-bedrock-runtime';
import type { PlainChatCompletion, PlainToolCall } from '../provider';
import { assistantMessage, chatCompletion } from '../kit/completion';
import { CONVERSE_STOP_REASONS, mappedReason } from '../kit/finish-reasons';
import { usageOf } from '../kit/usage';

/** A Converse answer → an OpenAI chat completion. */
export function fromConverseOutput(output: BedrockSdk.ConverseCommandOutput, model: string): PlainChatCompletion {
  const blocks = output.output?.message?.content ?? [];
  const text = blocks.map((block) => block.text ?? '').join('');
  const toolCalls: PlainToolCall[] = blocks
    .filter((block) => block.toolUse)
    .map((block) => ({
      id: block.toolUse!.toolUseId ?? `call_${randomUUID()}`,
      type: 'function',
      function: { name: block.toolUse!.name ?? '', arguments: JSON.stringify(block.toolUse!.input ?? {}) },
    }));
  const usage = output.usage;
  return chatCompletion({
    id: `chatcmpl-${output.$metadata?.requestId ?? randomUUID()}`,
    model,
    choices: [{ index: 0, message: assistantMessage(text, toolCalls), finish_reason: mappedReason(CONVERSE_STOP_REASONS, output.stopReason) }],
    usage: usage ? usageOf(usage.inputTokens ?? 0, usage.outputTokens ?? 0, usage.totalTokens) : undefined,
  });
}
