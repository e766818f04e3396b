// ConverseStream's events (`messageStart`, content block starts and deltas, `messageStop`, then
// `metadata` with the usage) as OpenAI chunks.
import type { PlainChunk } from '../provider';
import { ChunkBuilder } from '../kit/chunks';
import type { RequestContext } from '../kit/context';
import { CONVERSE_STOP_REASONS, mappedReason } from '../kit/finish-reasons';
import { streamEndedEarly } from '../kit/stream-errors';
import { usageOf } from '../kit/usage';
import { bedrockError } from './errors';
import { expectBedrockEvent } from './validate';

/** The chunks of one ConverseStream; it must reach `messageStop`, or it broke off. */
export async function* converseChunks(events: AsyncIterable<unknown>, ctx: RequestContext, includeUsage: boolean): AsyncGenerator<PlainChunk> {
  const chunks = new ChunkBuilder(ctx.model);
  // Bedrock numbers content blocks; OpenAI numbers tool calls.
  const toolIndexByBlock = new Map<number, number>();
  let stopped = false;
  try {
    for await (const raw of events) {
      const event = expectBedrockEvent(raw, ctx);
      if (event.messageStart) {
        yield chunks.delta({ role: 'assistant', content: '' });
      } else if (event.contentBlockStart?.start?.toolUse) {
        const toolUse = event.contentBlockStart.start.toolUse;
        const index = toolIndexByBlock.size;
        toolIndexByBlock.set(event.contentBlockStart.contentBlockIndex ?? index, index);
        yield chunks.delta({ tool_calls: [{ index, id: toolUse.toolUseId, type: 'function', function: { name: toolUse.name, arguments: '' } }] });
      } else if (event.contentBlockDelta?.delta) {
        const { delta, contentBlockIndex } = event.contentBlockDelta;
        if (typeof delta.text === 'string') yield chunks.delta({ content: delta.text });
        else if (delta.toolUse) {
          const index = toolIndexByBlock.get(contentBlockIndex ?? -1) ?? Math.max(0, toolIndexByBlock.size - 1);
          yield chunks.delta({ tool_calls: [{ index, function: { arguments: delta.toolUse.input ?? '' } }] });
        }
      } else if (event.messageStop) {
        stopped = true;
        yield chunks.delta({}, mappedReason(CONVERSE_STOP_REASONS, event.messageStop.stopReason));
      } else if (event.metadata) {
        // The last event: usage comes after the stop.
        const usage = event.metadata.usage;
        if (includeUsage && usage) yield chunks.usage(usageOf(usage.inputTokens ?? 0, usage.outputTokens ?? 0, usage.totalTokens));
        break;
      } else {
        // Exceptions arrive as events of their own; the SDK throws most, this catches the rest.
        const [name, error] = Object.entries(event).find(([key, value]) => key.endsWith('Exception') && value) ?? [];
        if (name) throw bedrockError({ name: name[0]!.toUpperCase() + name.slice(1), message: (error as { message?: string }).message }, ctx);
      }
    }
  } catch (err) {
    throw bedrockError(err, ctx);
  }
  if (!stopped) throw streamEndedEarly(ctx, 'messageStop');
}
