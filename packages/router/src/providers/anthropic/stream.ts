// Anthropic's stream events (`message_start`, content block starts and deltas, `message_delta`,
// `message_stop`) as OpenAI chunks.
import { errorForStreamEvent } from '../../errors';
import type { SseEvent } from '../http';
import type { PlainChunk } from '../provider';
import { ChunkBuilder } from '../kit/chunks';
import type { RequestContext } from '../kit/context';
import { ANTHROPIC_STOP_REASONS, mappedReason } from '../kit/finish-reasons';
import { streamEndedEarly } from '../kit/stream-errors';
import { usageOf } from '../kit/usage';
import { parseStreamEvent } from '../validate';
import { expectAnthropicEvent } from './validate';

/** The chunks of one Anthropic stream; it must reach `message_stop`, or it broke off. */
export async function* anthropicChunks(events: AsyncIterable<SseEvent>, ctx: RequestContext, includeUsage: boolean): AsyncGenerator<PlainChunk> {
  const chunks = new ChunkBuilder(ctx.model);
  let inputTokens = 0;
  let toolIndex = -1;
  for await (const event of events) {
    const data = expectAnthropicEvent(parseStreamEvent(event, ctx), ctx);
    switch (data.type) {
      case 'message_start':
        // The check made `message` an object for this type.
        chunks.id = data.message?.id ?? chunks.id;
        chunks.model = data.message?.model ?? chunks.model;
        inputTokens = data.message?.usage?.input_tokens ?? 0;
        yield chunks.delta({ role: 'assistant', content: '' });
        break;
      case 'content_block_start':
        if (data.content_block?.type === 'tool_use') {
          toolIndex++;
          yield chunks.delta({
            tool_calls: [{ index: toolIndex, id: data.content_block.id, type: 'function', function: { name: data.content_block.name, arguments: '' } }],
          });
        }
        break;
      case 'content_block_delta':
        if (data.delta?.type === 'text_delta') yield chunks.delta({ content: data.delta.text });
        else if (data.delta?.type === 'input_json_delta')
          yield chunks.delta({ tool_calls: [{ index: toolIndex, function: { arguments: data.delta.partial_json } }] });
        break;
      case 'message_delta':
        yield chunks.delta({}, mappedReason(ANTHROPIC_STOP_REASONS, data.delta?.stop_reason));
        if (includeUsage) yield chunks.usage(usageOf(inputTokens, data.usage?.output_tokens ?? 0));
        break;
      case 'message_stop':
        return;
      case 'error':
        throw errorForStreamEvent(data.error, { provider: ctx.provider, model: ctx.model });
      default:
        break; // ping, content_block_stop
    }
  }
  throw streamEndedEarly(ctx, 'message_stop');
}
