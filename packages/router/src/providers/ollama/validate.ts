// What Ollama's answers and stream lines must look like before they are translated (see ../validate.ts).
import type { RequestContext } from '../kit/context';
import { arrayOf, expected, expectShape, isObject, type Json, type Problem } from '../validate';

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
      isObject(call.function) && typeof call.function.name === 'string' ? undefined : expected(`${at}.function`, 'an object with a string name', call.function),
    );
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
  return expectShape(
    value,
    'answer is not an Ollama embed response',
    (v) => {
      const list = v.embeddings;
      if (!Array.isArray(list) || !list.every((vector) => Array.isArray(vector) && vector.every((n) => typeof n === 'number'))) {
        return expected('embeddings', 'an array of number arrays', list);
      }
      return list.length === inputs ? undefined : `embeddings: expected ${inputs} vectors, got ${list.length}`;
    },
    ctx,
  );
}
