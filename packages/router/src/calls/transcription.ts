import { invalidRequest } from '../errors';
import { withCall, type PlainTranscription } from '../providers';
import type { TranscriptionRequest, TranscriptionResponse } from '../types';
import type { CallContext } from './context';
import { lookup, settle, storeUnder, type Stored } from './lookup';
import { withKeyParam } from './prepared-call';
import { audioIdentity } from './request';
import { isStoredTranscription, withHiddenParams } from './responses';

/** A transcription, keyed by the sha256 of the audio bytes, never the file name. */
export async function transcription(ctx: CallContext, request: TranscriptionRequest): Promise<TranscriptionResponse> {
  const call = ctx.prepare('transcription', request);
  const file = request.file;
  if (!(file instanceof Blob) && !(file instanceof Uint8Array)) {
    throw invalidRequest('file: must be a File, Blob or Buffer');
  }
  const bytes = file instanceof Blob ? new Uint8Array(await file.arrayBuffer()) : file;
  const blob = file instanceof Blob ? file : new Blob([bytes]);
  const fileName = request.fileName ?? (typeof (file as File).name === 'string' && (file as File).name ? (file as File).name : 'audio.mp3');
  const keyed = withKeyParam(call, 'file', audioIdentity(bytes));
  const compute = async (signal: AbortSignal): Promise<Stored<PlainTranscription>> => {
    const { value, deployment } = await ctx.dispatcher.execute(
      call,
      0,
      (d, target) => withCall(d.provider, 'transcription').transcription({ file: blob, fileName, params: ctx.paramsFor(d, call) }, target),
      undefined,
      { signal },
    );
    return { response: value, deploymentId: deployment.id, modelGroup: deployment.modelGroup };
  };
  const isComplete = (r: PlainTranscription) => typeof r.text === 'string' && r.text.length > 0;
  const { context, result } = lookup(ctx, keyed, compute, {
    validate: isStoredTranscription,
    isStorable: (v) => isComplete(v.response) && ctx.answeredIdentity(call, v.modelGroup) === call.identity,
  });
  const { value, source } = await result;
  const { stored, hidden } = settle(ctx, keyed, value, source, context);
  if (source === 'computed') await storeUnder(ctx, keyed, stored, context, isComplete);
  return withHiddenParams(stored.response, hidden);
}
