import { withCall } from '../providers';
import { invalidRequest } from '../errors';
import type { TextCompletion, TextCompletionRequest } from '../types';
import { answer } from './answer';
import type { CallContext } from './context';
import { lookup, settle, storeUnder } from './lookup';
import { asTextCompletion } from './openai-shape';
import { isCompleteText, isStoredText, mockTextCompletion, withHiddenParams } from './responses';

/** A text completion; it does not stream (`stream: true` is a 400). */
export async function textCompletion(ctx: CallContext, request: TextCompletionRequest): Promise<TextCompletion> {
  const call = ctx.prepare('text_completion', request);
  if (call.request.stream === true) throw invalidRequest('stream: textCompletion does not stream; use completion() with messages');
  const prompt = Array.isArray(request.prompt) ? request.prompt.join('\n') : String(request.prompt ?? '');
  const compute = (signal: AbortSignal) =>
    answer(
      ctx,
      call,
      prompt,
      signal,
      (text, model) => mockTextCompletion(text, model, prompt),
      (d, target) => withCall(d.provider, 'textCompletion').textCompletion(ctx.paramsFor(d, call), target),
    );
  const { context, result } = lookup(ctx, call, compute, {
    validate: isStoredText,
    isStorable: (v) => isCompleteText(v.response) && ctx.answeredIdentity(call, v.modelGroup) === call.identity,
  });
  const { value, source, similarity } = await result;
  const { stored, hidden } = settle(ctx, call, value, source, context, similarity);
  if (source === 'computed') await storeUnder(ctx, call, stored, context, isCompleteText);
  return withHiddenParams(asTextCompletion(stored.response), hidden);
}
