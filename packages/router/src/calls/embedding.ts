import { InternalServerError } from '../errors';
import { withCall, type PlainEmbeddingResponse } from '../providers';
import type { Base64EmbeddingResponse, EmbeddingRequest, EmbeddingResponse } from '../types';
import type { CallContext } from './context';
import { cacheSide, lookupEach } from './lookup';
import type { PreparedCall } from './prepared-call';
import { embeddingInputs, type EmbeddingInput } from './request';
import { estimateInputTokens, isStoredEmbedding, withHiddenParams } from './responses';

/** What one embedding input is stored as. */
interface StoredVector {
  embedding: number[] | string;
  model: string;
}

/** About one upstream call: the same object for every input it embedded. */
interface Batch {
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  deploymentId: string;
  modelGroup: string;
}

/**
 * Embeddings. Each input (a text or a list of token ids) is its own cache entry, through `lookupEach`:
 * only the missing ones go upstream, in one call, and an input that an identical concurrent call is
 * already embedding is waited for, not asked again. With `encoding_format: 'base64'` each vector is a
 * base64 string.
 */
export async function embedding(ctx: CallContext, request: EmbeddingRequest): Promise<EmbeddingResponse | Base64EmbeddingResponse> {
  const call = ctx.prepare('embedding', request);
  const { inputs, single } = embeddingInputs(request.input);
  const side = cacheSide(ctx, call);
  const keys = side ? ctx.embeddingKeys(call, inputs, side.control.namespace) : [];
  const { hits, missing, items, ledBatch } = await lookupEach<StoredVector, Batch>(
    ctx,
    call,
    side,
    keys,
    inputs.length,
    isStoredEmbedding,
    (entries, signal) =>
      embedUpstream(
        ctx,
        call,
        entries.map((i) => inputs[i]!),
        single,
        signal,
      ),
    (identity, entries) =>
      ctx.embeddingKeys(
        call,
        entries.map((i) => inputs[i]!),
        side?.control.namespace,
        identity,
      ),
  );
  const vectors = hits.map((h) => h?.value.embedding);
  let model = hits.find((h) => h)?.value.model ?? '';
  let usage = { prompt_tokens: 0, total_tokens: 0 };
  let answeredBy: Batch | undefined;
  let shared = false;
  if (missing.length > 0) {
    missing.forEach((inputIndex, p) => (vectors[inputIndex] = structuredClone(items[p]!.value.embedding)));
    const batch = ledBatch ?? items[0]!.batch;
    shared = items.some((item) => item.batch !== ledBatch);
    model = batch.model || model;
    if (ledBatch) usage = ledBatch.usage;
    answeredBy = batch;
  }
  const cacheHit = side !== undefined && missing.length === 0;
  const modelGroup = answeredBy?.modelGroup ?? call.modelGroup;
  const hidden = ctx.hidden({ modelGroup, cacheHit, cacheKey: keys.length === 1 ? keys[0] : undefined, deploymentId: answeredBy?.deploymentId, call });
  if (keys.length > 1) Object.assign(hidden, { cacheKeys: keys });
  if (shared) hidden.sharedFlight = true;
  if (side) ctx.logLookup(call, keys.length === 1 ? keys[0] : keys, cacheHit, shared, { hits: inputs.length - missing.length });
  ctx.succeeded(call, modelGroup, answeredBy?.deploymentId, cacheHit, hidden.latencyMs, { ...usage, completion_tokens: 0 });
  const response: PlainEmbeddingResponse = {
    object: 'list',
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding: embedding! })),
    model,
    usage,
  };
  return withHiddenParams(response, hidden) as EmbeddingResponse | Base64EmbeddingResponse;
}

/** One routed embedding call for `texts`: a vector per text, in their order, and what the call was. */
async function embedUpstream(
  ctx: CallContext,
  call: PreparedCall,
  texts: EmbeddingInput[],
  single: boolean,
  signal: AbortSignal,
): Promise<{ values: StoredVector[]; batch: Batch }> {
  const { value, deployment } = await ctx.dispatcher.execute(
    call,
    estimateInputTokens(texts),
    async (d, target) => {
      const answer = await withCall(d.provider, 'embedding').embedding({ ...ctx.paramsFor(d, call), input: single ? texts[0] : texts }, target);
      // Checked inside the attempt, so that a short answer is retried like any server error.
      if (answer.data.length !== texts.length) {
        throw new InternalServerError(`asked for ${texts.length} embeddings, got ${answer.data.length}`, {
          status: 500,
          provider: d.provider.name,
          model: d.providerModel,
        });
      }
      return answer;
    },
    (v) => v.usage?.total_tokens,
    { signal },
  );
  const byIndex = [...value.data].sort((a, b) => a.index - b.index);
  const batch: Batch = {
    model: value.model ?? '',
    usage: { prompt_tokens: value.usage?.prompt_tokens ?? 0, total_tokens: value.usage?.total_tokens ?? 0 },
    deploymentId: deployment.id,
    modelGroup: deployment.modelGroup,
  };
  return { values: byIndex.map((d) => ({ embedding: d.embedding, model: batch.model })), batch };
}
