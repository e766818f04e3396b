// `streamGenerateContent?alt=sse` events (each a GeminiResponse) as OpenAI chunks.
import type { SseEvent } from '../http';
import type { PlainChunk } from '../provider';
import { ChunkBuilder } from '../kit/chunks';
import type { RequestContext } from '../kit/context';
import { streamEndedEarly } from '../kit/stream-errors';
import { parseStreamEvent } from '../validate';
import { finishReasonOf, geminiUsage, toolCallOf } from './response';
import { expectGeminiResponse, type GeminiResponse } from './validate';

/** The chunks of one Gemini stream; it must reach a `finishReason` (or a blocked prompt), or it broke off. */
export async function* geminiChunks(events: AsyncIterable<SseEvent>, ctx: RequestContext, includeUsage: boolean): AsyncGenerator<PlainChunk> {
  const chunks = new ChunkBuilder(ctx.model);
  let started = false;
  let finished = false;
  let toolIndex = 0;
  let usage: GeminiResponse['usageMetadata'];
  for await (const event of events) {
    const data = expectGeminiResponse(parseStreamEvent(event, ctx), ctx);
    if (!started) {
      started = true;
      if (data.responseId) chunks.id = `chatcmpl-${data.responseId}`;
      yield chunks.delta({ role: 'assistant', content: '' });
    }
    usage = data.usageMetadata ?? usage;
    if (data.candidates === undefined && data.promptFeedback?.blockReason) {
      // A blocked prompt: no text, as LiteLLM answers it.
      finished = true;
      yield chunks.delta({}, 'content_filter');
      break;
    }
    const candidate = data.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (typeof part.text === 'string' && part.thought !== true) {
        if (part.text !== '') yield chunks.delta({ content: part.text });
      } else if (part.functionCall) {
        // Gemini sends each call whole, in one part.
        yield chunks.delta({ tool_calls: [{ index: toolIndex++, ...toolCallOf(part.functionCall) }] });
      }
    }
    if (candidate?.finishReason) {
      finished = true;
      yield chunks.delta({}, finishReasonOf(candidate.finishReason, toolIndex > 0));
    }
  }
  if (!finished) throw streamEndedEarly(ctx, 'a finishReason');
  if (includeUsage && usage) yield chunks.usage(geminiUsage(usage));
}
