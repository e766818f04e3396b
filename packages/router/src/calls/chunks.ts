import type { PlainChatCompletion, PlainChunk, PlainToolCall } from '../providers';
import type { Usage } from '../types';

/** Puts streamed chunks together into the completion they describe. */
export function assembleChunks(chunks: readonly PlainChunk[]): PlainChatCompletion {
  const first = chunks[0];
  const choices = new Map<number, { content: string | null; toolCalls: PlainToolCall[]; finish: string | null }>();
  let usage: Usage | undefined;
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      let acc = choices.get(choice.index);
      if (!acc) choices.set(choice.index, (acc = { content: null, toolCalls: [], finish: null }));
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string') acc.content = (acc.content ?? '') + delta.content;
      for (const part of delta.tool_calls ?? []) {
        const call = (acc.toolCalls[part.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
        if (part.id) call.id = part.id;
        if (part.function?.name) call.function.name += part.function.name;
        if (part.function?.arguments) call.function.arguments += part.function.arguments;
      }
      if (choice.finish_reason) acc.finish = choice.finish_reason;
    }
  }
  return {
    id: first?.id ?? '',
    object: 'chat.completion',
    created: first?.created ?? Math.floor(Date.now() / 1000),
    model: first?.model ?? '',
    choices: [...choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, acc]) => ({
        index,
        message: {
          role: 'assistant' as const,
          // A tool-call-only answer has null content, as OpenAI's non-stream answer does.
          content: acc.content === '' && acc.toolCalls.length > 0 ? null : acc.content,
          ...(acc.toolCalls.length > 0 ? { tool_calls: acc.toolCalls } : {}),
        },
        finish_reason: acc.finish,
      })),
    ...(usage ? { usage } : {}),
  };
}

/** Splits text into pieces of about `size` characters, at spaces where possible, that join back exactly. */
function pieces(text: string, size = 24): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > size) {
    let cut = rest.lastIndexOf(' ', size);
    if (cut <= 0) cut = size;
    // Never split a surrogate pair between two chunks.
    if (/[\uD800-\uDBFF]/.test(rest[cut - 1] ?? '')) cut++;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0) out.push(rest);
  return out;
}

/**
 * Replays a stored completion as the chunks a provider would have streamed: a role chunk, the content
 * and tool-call arguments in several pieces, the finish reason, and usage when asked for. Assembled again,
 * they give back the completion.
 */
export function completionToChunks(completion: PlainChatCompletion, options: { includeUsage: boolean }): PlainChunk[] {
  const { id, created, model } = completion;
  const chunk = (index: number, delta: PlainChunk['choices'][0]['delta'], finish: string | null = null): PlainChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index, delta, finish_reason: finish }],
  });
  const out: PlainChunk[] = [];
  for (const choice of completion.choices) {
    const { content, tool_calls: toolCalls } = choice.message;
    out.push(chunk(choice.index, { role: 'assistant', content: content === null ? null : '' }));
    for (const piece of pieces(content ?? '')) out.push(chunk(choice.index, { content: piece }));
    (toolCalls ?? []).forEach((call, index) => {
      out.push(chunk(choice.index, { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }));
      for (const piece of pieces(call.function.arguments)) out.push(chunk(choice.index, { tool_calls: [{ index, function: { arguments: piece } }] }));
    });
    out.push(chunk(choice.index, {}, choice.finish_reason));
  }
  if (options.includeUsage && completion.usage) {
    out.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: completion.usage });
  }
  return out;
}

/** Chunks already at hand, as a stream. */
export async function* replay(chunks: readonly PlainChunk[]): AsyncGenerator<PlainChunk> {
  for (const chunk of chunks) yield chunk;
}
