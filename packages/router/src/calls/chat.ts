import type { PlainChatCompletion, PlainChunk } from '../providers';
import type { ChatCompletion, ChatCompletionChunk, CompletionRequest, CompletionStream, HiddenParams } from '../types';
import { invalidRequest } from '../errors';
import { answer } from './answer';
import { openStream } from './chat-stream';
import type { CallContext } from './context';
import { lookup, settle, storeUnder, type CacheContext, type Stored } from './lookup';
import { asChatCompletion, asChatCompletionChunk } from './openai-shape';
import type { PreparedCall } from './prepared-call';
import { isCompleteChat, isStoredChat, mockCompletion, withHiddenParams } from './responses';
import type { LiveStream } from './shared-stream';
import { completionToChunks, replay } from './chunks';

/** What a completion's flight yields: a whole answer, or a stream to read. */
type ChatOutcome = Stored<PlainChatCompletion> | LiveStream;

/**
 * A chat completion. Identical concurrent misses share one upstream call, streamed or not: the callers
 * of a stream read its chunks as they come, and a non-stream caller waits for the whole answer.
 */
export async function completion(ctx: CallContext, request: CompletionRequest): Promise<ChatCompletion | CompletionStream> {
  const call = ctx.prepare('completion', request);
  if (!Array.isArray(request.messages)) throw invalidRequest('messages: must be an array of chat messages');
  const stream = request.stream === true;
  const { context, result } = lookup<ChatOutcome>(ctx, call, (signal, cc) => chatOutcome(ctx, call, stream, signal, cc), {
    validate: isStoredChat,
    isStorable: (v) => !('live' in v) && isCompleteChat(v.response) && ctx.answeredIdentity(call, v.modelGroup) === call.identity,
  });
  const { value, source, similarity } = await result;
  const includeUsage = request.stream_options?.include_usage === true;
  if ('live' in value) {
    const hidden = ctx.hidden({ modelGroup: value.modelGroup, cacheHit: false, cacheKey: context.key, deploymentId: value.deploymentId, call });
    const shared = !(source === 'computed' && value.started);
    if (shared) hidden.sharedFlight = true;
    ctx.logLookup(call, context.key, false, shared);
    if (stream) {
      const onEnd = (completion: PlainChatCompletion) =>
        ctx.succeeded(call, value.modelGroup, value.deploymentId, false, performance.now() - call.started, completion.usage);
      return makeStream(value.live.reader({ includeUsage, signal: call.settings.signal, onEnd }), hidden);
    }
    const response = structuredClone(await value.live.whole(call.settings.signal));
    ctx.succeeded(call, value.modelGroup, value.deploymentId, false, hidden.latencyMs, response.usage);
    return withHiddenParams(asChatCompletion(response), hidden);
  }
  const { stored, hidden } = settle(ctx, call, value, source, context, similarity);
  if (source === 'computed') await storeUnder(ctx, call, stored, context, isCompleteChat);
  if (!stream) return withHiddenParams(asChatCompletion(stored.response), hidden);
  return makeStream(replay(completionToChunks(stored.response, { includeUsage })), hidden);
}

/** A completion's upstream work: a stream already under way for the same flight, else a new one, else a whole answer. */
async function chatOutcome(ctx: CallContext, call: PreparedCall, stream: boolean, signal: AbortSignal, context: CacheContext): Promise<ChatOutcome> {
  const live = context.flightKey === undefined ? undefined : ctx.liveStreams.get(context.flightKey);
  if (live) return { ...live, started: false };
  const promptText = JSON.stringify(call.request.messages);
  if (!stream) {
    return answer(
      ctx,
      call,
      promptText,
      signal,
      (text, model) => mockCompletion(text, model, promptText),
      (d, target) => d.provider.chat(ctx.paramsFor(d, call), target),
    );
  }
  return openStream(ctx, call, promptText, signal, context);
}

/** The caller's stream: each chunk made OpenAI-shaped as it is read; `return()` still reaches the source at once. */
function makeStream(source: AsyncIterable<PlainChunk>, hidden: HiddenParams): CompletionStream {
  const stream = {
    [Symbol.asyncIterator]: (): AsyncIterator<ChatCompletionChunk> => {
      const iterator = source[Symbol.asyncIterator]();
      const shaped = (result: IteratorResult<PlainChunk>): IteratorResult<ChatCompletionChunk> =>
        result.done ? result : { done: false, value: asChatCompletionChunk(result.value) };
      return {
        next: () => iterator.next().then(shaped),
        return: (value?: unknown) => (iterator.return ? iterator.return(value).then(shaped) : Promise.resolve({ done: true, value: undefined })),
      };
    },
  };
  return withHiddenParams(stream, hidden);
}
