// Ollama's answers (and stream lines) read for what every OpenAI shape needs: tool calls, the finish
// reason, usage and the time.
import { randomUUID } from 'node:crypto';
import type { PlainToolCall } from '../provider';
import { usageOf, type TokenUsage } from '../kit/usage';
import type { OllamaAnswer } from './validate';

/** An answer's (or stream line's) tool calls in OpenAI shape, each with an id of our own (Ollama gives none). */
export function toolCallsOf(answer: OllamaAnswer): PlainToolCall[] {
  return (answer.message?.tool_calls ?? []).map((call) => ({
    id: `call_${randomUUID()}`,
    type: 'function',
    function: {
      name: call.function.name,
      arguments: typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments ?? {}),
    },
  }));
}

/** `length` when Ollama stopped at `num_predict`; `tool_calls` for an answer that calls tools; else `stop` (also for `load`/`unload`). */
export function finishReasonOf(doneReason: string | undefined, calledTools: boolean): string {
  if (doneReason === 'length') return 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

/** `prompt_eval_count` and `eval_count` as usage; Ollama leaves `prompt_eval_count` out when the prompt was cached. */
export function usageFields(answer: OllamaAnswer): { usage?: TokenUsage } {
  if (answer.prompt_eval_count === undefined && answer.eval_count === undefined) return {};
  return { usage: usageOf(answer.prompt_eval_count ?? 0, answer.eval_count ?? 0) };
}

export function createdOf(answer: OllamaAnswer): number {
  const at = Date.parse(answer.created_at ?? '');
  return Math.floor((Number.isNaN(at) ? Date.now() : at) / 1000);
}
