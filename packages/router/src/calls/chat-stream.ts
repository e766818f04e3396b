import type { PlainChatCompletion } from '../providers';
import type { CompletionRequest } from '../types';
import { mockResponseFor } from './answer';
import type { CallContext } from './context';
import { storeUnder, type CacheContext } from './lookup';
import type { PreparedCall } from './prepared-call';
import { estimateTokens, isCompleteChat, mockCompletion, withEstimatedUsage } from './responses';
import { SharedStream, type LiveStream } from './shared-stream';
import { assembleChunks, completionToChunks, replay } from './chunks';

/**
 * Opens the upstream stream (retried like any call until its first chunk) and shares it. It is stored,
 * under the group that answered, once read to its end; a stream nobody reads is never stored.
 */
export async function openStream(
  ctx: CallContext,
  call: PreparedCall,
  promptText: string,
  signal: AbortSignal,
  { cache, control, flightKey }: CacheContext,
): Promise<LiveStream> {
  const streamOptions = call.request.stream_options as CompletionRequest['stream_options'];
  const includeUsage = streamOptions?.include_usage === true;
  const {
    value: opened,
    deployment,
    claim,
  } = await ctx.dispatcher.execute(
    call,
    estimateTokens(promptText),
    async (d, target) => {
      const mock = mockResponseFor(d, call.request);
      const source =
        mock !== undefined
          ? replay(completionToChunks(mockCompletion(mock, d.providerModel, promptText), { includeUsage }))
          : d.provider.chatStream({ ...ctx.paramsFor(d, call), ...(streamOptions ? { stream_options: streamOptions } : {}) }, target);
      const iterator = source[Symbol.asyncIterator]();
      // The first chunk proves the stream is up; until then a failure is retried like any other.
      const first = await iterator.next();
      return { iterator, first };
    },
    undefined,
    { stream: true, signal },
  );
  const live: SharedStream = new SharedStream(opened, {
    onChunk: claim.touch,
    expired: claim.expired,
    onComplete: async (chunks) => {
      const response = withEstimatedUsage(assembleChunks(chunks), promptText);
      ctx.dispatcher.recordUsage(deployment, response.usage?.total_tokens ?? 0);
      // Stored before any reader sees the end, so the next call finds it.
      const stored = { response, deploymentId: deployment.id, modelGroup: deployment.modelGroup };
      await storeUnder<PlainChatCompletion>(ctx, call, stored, { cache, control }, isCompleteChat, true);
      return response;
    },
    onError: async (error, readersFault) => {
      if (!readersFault) await ctx.dispatcher.noteFailure(deployment, error as Error, 'completion', performance.now() - call.started);
    },
    onClose: () => {
      claim.release();
      if (flightKey !== undefined && ctx.liveStreams.get(flightKey)?.live === live) ctx.liveStreams.delete(flightKey);
    },
  });
  const stream: LiveStream = { live, deploymentId: deployment.id, modelGroup: deployment.modelGroup, started: true };
  if (flightKey !== undefined) ctx.liveStreams.set(flightKey, stream);
  return stream;
}
