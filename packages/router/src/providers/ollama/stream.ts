// Ollama's streams: newline-delimited JSON, not SSE; one object per line, the last with `done: true`, its
// `done_reason` and the token counts. As OpenAI chunks.
import { APIConnectionError, errorForStreamEvent } from '../../errors';
import type { PlainChunk } from '../provider';
import { ChunkBuilder } from '../kit/chunks';
import type { RequestContext } from '../kit/context';
import { streamEndedEarly } from '../kit/stream-errors';
import { createdOf, finishReasonOf, toolCallsOf, usageFields } from './response';
import { expectOllamaChat, expectOllamaGenerate } from './validate';

/** The chunks of one /api/generate or /api/chat stream; it must reach a line with `done: true`, or it broke off. */
export async function* ollamaChunks(
  lines: AsyncIterable<string>,
  ctx: RequestContext,
  api: 'generate' | 'chat',
  includeUsage: boolean,
): AsyncGenerator<PlainChunk> {
  const chunks = new ChunkBuilder(ctx.model);
  let started = false;
  let toolIndex = 0;
  for await (const line of lines) {
    const data = api === 'chat' ? expectOllamaChat(parseLine(line, ctx), ctx) : expectOllamaGenerate(parseLine(line, ctx), ctx);
    if (!started) {
      started = true;
      chunks.created = createdOf(data);
      chunks.model = data.model ?? chunks.model;
      yield chunks.delta({ role: 'assistant', content: '' });
    }
    const text = api === 'chat' ? data.message?.content : data.response;
    if (text) yield chunks.delta({ content: text });
    // Ollama sends each tool call whole, in one line.
    for (const call of toolCallsOf(data)) yield chunks.delta({ tool_calls: [{ index: toolIndex++, ...call }] });
    if (data.done === true) {
      yield chunks.delta({}, finishReasonOf(data.done_reason, toolIndex > 0));
      const usage = usageFields(data).usage;
      if (includeUsage && usage) yield chunks.usage(usage);
      return;
    }
  }
  throw streamEndedEarly(ctx, 'a line with done: true');
}

/** One stream line as JSON; a line that reports an error (`{"error": "…"}`, as Ollama sends mid-stream) throws it. */
function parseLine(line: string, ctx: RequestContext): unknown {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (err) {
    throw new APIConnectionError(`stream sent a line that is not JSON: ${line.slice(0, 200)}`, {
      status: 500,
      provider: ctx.provider,
      model: ctx.model,
      cause: err,
    });
  }
  const error = (data as { error?: unknown } | null)?.error;
  if (typeof error === 'string') throw errorForStreamEvent({ message: error }, { provider: ctx.provider, model: ctx.model });
  return data;
}
