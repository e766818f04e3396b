import { existsSync } from 'node:fs';
import { Cache, cacheKey, isCache, type CacheControl, type CacheHit, type ResolvedControl, type ValueSource, type WrapResult } from '@llmcache/core';
import { cacheKeyFromCanonicalParams } from '@llmcache/core/internal';
import { EventEmitter } from 'eventemitter3';
import { canonicalParams, DEFAULT_CALL_SETTINGS, readCallSettings, type CallSettings } from './call-settings';
import { configPathOf, looksLikeConfigPath, readLiteLLMConfig, translateLiteLLMConfig } from './config';
import { isShared, redisRouterState, reportSharedState } from './redis-state';
import type { RouterState } from './state';
import { buildModelGroups, type Deployment } from './deployments';
import { Dispatcher } from './dispatcher';
import { withoutRefusedParams } from './drop-params';
import { EmbeddingFlights } from './embedding-flights';
import { RouterLog } from './logger';
import { InternalServerError, invalidRequest, RouterConfigError } from './errors';
import { getCache } from './global';
import { asChatCompletion, asChatCompletionChunk, asTextCompletion } from './openai-shape';
import type { PlainChatCompletion, PlainChunk, PlainEmbeddingResponse, PlainTranscription, ProviderParams, ProviderTarget } from './providers';
import { withCall } from './providers';
import { audioIdentity, embeddingInputs, flightKeyOf, mergeDeploymentParams, providerParamsOf, withExtraBody, type EmbeddingInput } from './request';
import {
  estimateInputTokens,
  estimateTokens,
  isCompleteChat,
  isCompleteText,
  isStoredChat,
  isStoredEmbedding,
  isStoredText,
  isStoredTranscription,
  mockCompletion,
  mockTextCompletion,
  withEstimatedUsage,
  withHiddenParams,
} from './responses';
import { semanticQueryFor, supplyEmbedder } from './semantic-embedder';
import { SharedStream } from './shared-stream';
import { isPattern, WildcardRoutes } from './wildcards';
import { ModelGroupAliases } from './model-group-alias';
import { assembleChunks, completionToChunks } from './stream';
import type {
  Base64EmbeddingResponse,
  CallOptions,
  ChatCompletion,
  ChatCompletionChunk,
  CompletionRequest,
  CompletionRequestNonStreaming,
  CompletionRequestStreaming,
  CompletionStream,
  EmbeddingRequest,
  EmbeddingResponse,
  HiddenParams,
  IgnoredConfigKey,
  RouterEvents,
  RouterOptions,
  TextCompletion,
  TextCompletionRequest,
  TranscriptionRequest,
  TranscriptionResponse,
  Usage,
} from './types';

/** What an answer is stored as: the plain answer, and the deployment and model group that produced it. */
export interface Stored<T> {
  response: T;
  deploymentId: string | undefined;
  modelGroup: string;
}

/** A streamed answer on its way, which callers of the same flight read together. */
interface LiveStream {
  live: SharedStream;
  deploymentId: string;
  modelGroup: string;
  /** False for the copies handed to callers that joined it rather than started it. */
  started: boolean;
}

/** What a completion's flight yields: a whole answer, or a stream to read. */
type ChatOutcome = Stored<PlainChatCompletion> | LiveStream;

/** A call ready to route: its group, cache identity and the params the provider gets. */
interface PreparedCall {
  callType: 'completion' | 'text_completion' | 'embedding' | 'transcription';
  modelGroup: string;
  identity: string;
  /** For a model routed by a wildcard group: that group's deployments made concrete for it, by id. */
  concrete: ReadonlyMap<string, Deployment> | undefined;
  /** The model the request named, aliases resolved. */
  requestedModel: string;
  /** What the provider gets: request params minus transport, control and llmcache fields. */
  params: ProviderParams;
  /** What the key is built from: `params`, plus `mockResponse`, which changes the answer. */
  keyParams: ProviderParams;
  /** `canonicalJson(keyParams)`, made once: it also proves the params can be sent. */
  keyJson: string;
  request: Record<string, unknown>;
  settings: CallSettings;
  /** `performance.now()` when the call came in. */
  started: number;
}

/** The cache side of a call, as `lookup` found it; all undefined without a cache. */
interface CacheContext {
  cache: Cache | undefined;
  control: ResolvedControl | undefined;
  key: string | undefined;
  /**
   * Set when the call may read the cache, and so share a flight with identical calls; made on the
   * first miss, so that a hit never pays for it.
   */
  flightKey: string | undefined;
}

const ROUTER_OPTIONS = new Set<keyof RouterOptions>([
  'modelList', 'cachingGroups', 'cache', 'routingStrategy', 'numRetries', 'timeout', 'fallbacks', 'contextWindowFallbacks', 'contentPolicyFallbacks', 'modelGroupAlias',
  'allowedFails', 'cooldownTime', 'retryAfter', 'state', 'redis', 'dropParams', 'logger',
]);

/** The signal of work nobody can abort. */
const NEVER_ABORTED = new AbortController().signal;

/**
 * Routes calls across the deployments of each model group, with retries, fallbacks and cooldowns, and
 * serves repeated calls from the cache. Model groups in one caching group share cache entries.
 */
export class Router extends EventEmitter<RouterEvents> {
  /** Paths of the config keys `fromConfig` found and ignored, as in the file (see `ignoredConfig` for why). */
  unsupportedConfig: readonly string[] = [];
  /** The config keys `fromConfig` found and ignored, each with why; also emitted once as the `config` event. */
  ignoredConfig: readonly IgnoredConfigKey[] = [];
  private readonly groups: ReadonlyMap<string, readonly Deployment[]>;
  private readonly deploymentsById: ReadonlyMap<string, Deployment>;
  private readonly cacheIdentity: ReadonlyMap<string, string>;
  private readonly ownCache: Cache | undefined;
  /** The shared state the router made from its `redis` option, closed with it. */
  private readonly ownState: RouterState | undefined;
  private readonly dispatcher: Dispatcher;
  /** Streams past their first chunk, by flight key: identical calls read them instead of calling again. */
  private readonly liveStreams = new Map<string, LiveStream>();
  private readonly embeddingFlights = new EmbeddingFlights();
  private readonly wildcards: WildcardRoutes;
  private readonly aliases: ModelGroupAliases;
  private readonly log: RouterLog;
  private readonly logCacheError = (error: Error & { backend?: string; operation?: string; key?: string }) =>
    this.log.warn('cache error', { backend: error.backend, operation: error.operation, key: error.key, error });
  private closed = false;

  constructor(options: RouterOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new RouterConfigError('options', 'must be an object with at least modelList');
    for (const name of Object.keys(options)) {
      if (!ROUTER_OPTIONS.has(name as keyof RouterOptions)) throw new RouterConfigError(name, 'is not a Router option');
    }
    const { groups, cacheIdentity } = buildModelGroups(options.modelList, options.cachingGroups, { dropParams: options.dropParams });
    this.groups = groups;
    this.wildcards = new WildcardRoutes(groups);
    this.aliases = new ModelGroupAliases(options.modelGroupAlias, groups);
    this.deploymentsById = new Map([...groups.values()].flat().map((d) => [d.id, d]));
    this.cacheIdentity = cacheIdentity;
    this.log = new RouterLog(options.logger, [...this.deploymentsById.values()].flatMap((d) => [d.params, d.headers]));
    if (options.cache !== undefined && !isCache(options.cache)) throw new RouterConfigError('cache', 'must be a Cache from @llmcache/core');
    this.ownCache = options.cache;
    this.ownCache?.on('error', this.logCacheError);
    supplyEmbedder(this.ownCache, this);
    if (options.redis !== undefined && options.state !== undefined) throw new RouterConfigError('redis', 'give either redis or state, not both');
    this.ownState = options.redis === undefined ? undefined : redisRouterState(options.redis);
    if (this.ownState) reportSharedState(this.ownState, this.log, (error) => this.emit('error', error));
    try {
      this.dispatcher = new Dispatcher(groups, options.redis === undefined ? options : { ...options, state: this.ownState }, this, this.log, this.wildcards);
    } catch (err) {
      this.ownCache?.off('error', this.logCacheError);
      void this.ownState?.close?.();
      throw err;
    }
  }

  /**
   * A router from a LiteLLM proxy `config.yaml` (a path, YAML text or the parsed object). Every error names
   * the key as the file has it (`model_list[0].litellm_params.api_base`). What the config holds that llmcache
   * ignores is in `ignoredConfig` (with why) and `unsupportedConfig`, and is emitted once as the `config` event
   * on the next turn of the event loop, so that listeners attached right after this call receive it.
   */
  static fromConfig(config: string | Record<string, unknown>, env: Record<string, string | undefined> = process.env): Router {
    const isPath = typeof config === 'string' && !/[\n\r]/.test(config) && (existsSync(config) || looksLikeConfigPath(config));
    const translation = isPath ? readLiteLLMConfig(config as string, env) : translateLiteLLMConfig(config, env);
    let router: Router;
    try {
      router = new Router({ ...translation.routerOptions, ...(translation.cacheOptions ? { cache: new Cache(translation.cacheOptions) } : {}) });
    } catch (err) {
      if (!(err instanceof RouterConfigError)) throw err;
      throw new RouterConfigError(configPathOf(err.option, translation.sources), err.detail, { cause: err });
    }
    router.unsupportedConfig = translation.unsupported;
    router.ignoredConfig = translation.ignored;
    const ignored = translation.ignored;
    // Said once, at load: in the log now, and as an event once the caller could listen.
    for (const { path, reason } of ignored) router.log.info('config key ignored', { path, reason });
    setImmediate(() => router.emit('config', { ignored }));
    return router;
  }

  /** The cache calls use now: the router's own, else the global one from `setCache()`. */
  get cache(): Cache | undefined {
    return this.ownCache ?? getCache();
  }

  /** Health now: `sharedState` tells whether the `redis` routing state is shared (undefined without `redis`). */
  health(): { sharedState: boolean | undefined } {
    return { sharedState: isShared(this.ownState) };
  }

  /** Model group names, and the `modelGroupAlias` names not marked hidden. */
  get modelGroups(): string[] {
    return [...this.groups.keys(), ...this.aliases.listed];
  }

  /**
   * The cache key the call would look up (`_hiddenParams.cacheKey`): for embeddings, a single input's;
   * for transcriptions, of a file given as a Buffer.
   */
  cacheKey(request: CompletionRequest | TextCompletionRequest | EmbeddingRequest | TranscriptionRequest): string {
    const callType = 'messages' in request ? 'completion' : 'prompt' in request ? 'text_completion' : 'file' in request ? 'transcription' : 'embedding';
    const call = this.prepare(callType, request);
    const namespace = this.namespaceFor(request);
    if (callType === 'transcription') {
      const file = (request as TranscriptionRequest).file;
      if (!(file instanceof Uint8Array)) throw invalidRequest('file: cacheKey() needs the audio as a Buffer (a Blob can only be read asynchronously)');
      return this.keyFor(withKeyParam(call, 'file', audioIdentity(file)), call.identity, namespace);
    }
    if (callType !== 'embedding') return this.keyFor(call, call.identity, namespace);
    const { inputs } = embeddingInputs((request as EmbeddingRequest).input);
    if (inputs.length !== 1) throw invalidRequest('input: an embedding request with several inputs has one cache key per input; ask for each');
    return this.embeddingKeys(call, inputs, namespace)[0]!;
  }

  /** Which deployment the strategy would pick now for `modelGroup` (LiteLLM's get_available_deployment). */
  async getAvailableDeployment(modelGroup: string): Promise<{ id: string; modelGroup: string; model: string }> {
    const d = await this.dispatcher.pick(this.aliases.resolve(modelGroup) as string, 0, false);
    return { id: d.id, modelGroup: d.modelGroup, model: d.params.model };
  }

  completion(request: CompletionRequestStreaming): Promise<CompletionStream>;
  completion(request: CompletionRequestNonStreaming): Promise<ChatCompletion>;
  completion(request: CompletionRequest): Promise<ChatCompletion | CompletionStream>;
  /**
   * A chat completion. Identical concurrent misses share one upstream call, streamed or not: the callers
   * of a stream read its chunks as they come, and a non-stream caller waits for the whole answer.
   */
  async completion(request: CompletionRequest): Promise<ChatCompletion | CompletionStream> {
    const call = this.prepare('completion', request);
    if (!Array.isArray(request.messages)) throw invalidRequest('messages: must be an array of chat messages');
    const stream = request.stream === true;
    const { context, result } = this.lookup<ChatOutcome>(call, (signal, ctx) => this.chatOutcome(call, stream, signal, ctx), {
      validate: isStoredChat,
      isStorable: (v) => !('live' in v) && isCompleteChat(v.response) && this.answeredIdentity(call, v.modelGroup) === call.identity,
    });
    const { value, source, similarity } = await result;
    const includeUsage = request.stream_options?.include_usage === true;
    if ('live' in value) {
      const hidden = this.hidden({ modelGroup: value.modelGroup, cacheHit: false, cacheKey: context.key, deploymentId: value.deploymentId, call });
      const shared = !(source === 'computed' && value.started);
      if (shared) hidden.sharedFlight = true;
      this.logLookup(call, context.key, false, shared);
      if (stream) {
        const onEnd = (completion: PlainChatCompletion) =>
          this.succeeded(call, value.modelGroup, value.deploymentId, false, performance.now() - call.started, completion.usage);
        return makeStream(value.live.reader({ includeUsage, signal: call.settings.signal, onEnd }), hidden);
      }
      const response = structuredClone(await value.live.whole(call.settings.signal));
      this.succeeded(call, value.modelGroup, value.deploymentId, false, hidden.latencyMs, response.usage);
      return withHiddenParams(asChatCompletion(response), hidden);
    }
    const { stored, hidden } = this.settle(call, value, source, context, similarity);
    if (source === 'computed') await this.storeFallbackAnswer(call, stored, context, isCompleteChat);
    if (!stream) return withHiddenParams(asChatCompletion(stored.response), hidden);
    return makeStream(replay(completionToChunks(stored.response, { includeUsage })), hidden);
  }

  /** A text completion; it does not stream (`stream: true` is a 400). */
  async textCompletion(request: TextCompletionRequest): Promise<TextCompletion> {
    const call = this.prepare('text_completion', request);
    if (call.request.stream === true) throw invalidRequest('stream: textCompletion does not stream; use completion() with messages');
    const prompt = Array.isArray(request.prompt) ? request.prompt.join('\n') : String(request.prompt ?? '');
    const compute = (signal: AbortSignal) =>
      this.answer(call, prompt, signal, (text, model) => mockTextCompletion(text, model, prompt), (d, target) => withCall(d.provider, 'textCompletion').textCompletion(this.paramsFor(d, call), target));
    const { context, result } = this.lookup(call, compute, {
      validate: isStoredText,
      isStorable: (v) => isCompleteText(v.response) && this.answeredIdentity(call, v.modelGroup) === call.identity,
    });
    const { value, source, similarity } = await result;
    const { stored, hidden } = this.settle(call, value, source, context, similarity);
    if (source === 'computed') await this.storeFallbackAnswer(call, stored, context, isCompleteText);
    return withHiddenParams(asTextCompletion(stored.response), hidden);
  }

  /**
   * Each input (a text or a list of token ids) is its own cache entry; only the missing ones go upstream,
   * in one call. An input that an identical concurrent call is already embedding is waited for, not asked
   * again. With `encoding_format: 'base64'` each vector is a base64 string.
   */
  embedding(request: EmbeddingRequest & { encoding_format: 'base64' }): Promise<Base64EmbeddingResponse>;
  embedding(request: EmbeddingRequest & { encoding_format?: 'float' | undefined }): Promise<EmbeddingResponse>;
  embedding(request: EmbeddingRequest): Promise<EmbeddingResponse | Base64EmbeddingResponse>;
  async embedding(request: EmbeddingRequest): Promise<EmbeddingResponse | Base64EmbeddingResponse> {
    const call = this.prepare('embedding', request);
    const { inputs, single } = embeddingInputs(request.input);
    this.assertOpen();
    const cache = this.cache;
    const control = cache?.resolveControl('embedding', request.cache);
    const keys = cache ? this.embeddingKeys(call, inputs, control!.namespace) : [];
    const hits: (CacheHit<{ embedding: number[] | string; model: string }> | undefined)[] =
      cache && control!.read ? await cache.getMany(keys, { maxAgeMs: control!.maxAgeMs, validate: isStoredEmbedding }) : inputs.map(() => undefined);
    const missing = inputs.map((_, i) => i).filter((i) => hits[i] === undefined);
    const vectors = hits.map((h) => h?.value.embedding);
    let model = hits.find((h) => h)?.value.model ?? '';
    let usage = { prompt_tokens: 0, total_tokens: 0 };
    let answeredBy: { deploymentId: string; modelGroup: string } | undefined;
    let shared = false;
    if (missing.length > 0) {
      // One upstream call for the inputs at `positions` (indexes into `missing`), stored as it answers.
      const embedMissing = async (positions: number[], signal: AbortSignal) => {
        const texts = positions.map((p) => inputs[missing[p]!]!);
        const { value, deployment } = await this.dispatcher.execute(
          call,
          estimateInputTokens(texts),
          async (d, target) => {
            const answer = await withCall(d.provider, 'embedding').embedding({ ...this.paramsFor(d, call), input: single ? texts[0] : texts }, target);
            // Checked inside the attempt, so that a short answer is retried like any server error.
            if (answer.data.length !== texts.length) {
              throw new InternalServerError(`asked for ${texts.length} embeddings, got ${answer.data.length}`, { status: 500, provider: d.provider.name, model: d.providerModel });
            }
            return answer;
          },
          (v) => v.usage?.total_tokens,
          { signal },
        );
        const byIndex = [...value.data].sort((a, b) => a.index - b.index);
        const batch = {
          model: value.model ?? '',
          usage: { prompt_tokens: value.usage?.prompt_tokens ?? 0, total_tokens: value.usage?.total_tokens ?? 0 },
          deploymentId: deployment.id,
          modelGroup: deployment.modelGroup,
        };
        if (cache && control!.write) {
          // A fallback group's vectors belong under that group's keys: it is another model.
          const identity = this.answeredIdentity(call, deployment.modelGroup);
          const storeKeys = identity === call.identity ? positions.map((p) => keys[missing[p]!]!) : identity === undefined ? [] : this.embeddingKeys(call, texts, control!.namespace, identity);
          if (storeKeys.length > 0) await cache.setMany(positions.map((p, j) => ({ key: storeKeys[j]!, value: { embedding: byIndex[j]!.embedding, model: batch.model } })), { ttlMs: control!.ttlMs });
        }
        return { embeddings: byIndex.map((d) => d.embedding), batch };
      };
      const flightKeys = cache && control!.read ? missing.map((i) => flightKeyOf(keys[i]!, call.request)) : undefined;
      const { items, ledBatch } = flightKeys
        ? await this.embeddingFlights.run(flightKeys, embedMissing, call.settings.signal)
        : await embedMissing(missing.map((_, p) => p), call.settings.signal ?? NEVER_ABORTED).then(({ embeddings, batch }) => ({
            items: embeddings.map((embedding) => ({ embedding, batch })),
            ledBatch: batch,
          }));
      missing.forEach((inputIndex, p) => (vectors[inputIndex] = structuredClone(items[p]!.embedding)));
      const batch = ledBatch ?? items[0]!.batch;
      shared = items.some((item) => item.batch !== ledBatch);
      model = batch.model || model;
      if (ledBatch) usage = ledBatch.usage;
      answeredBy = batch;
    }
    const cacheHit = cache !== undefined && missing.length === 0;
    const modelGroup = answeredBy?.modelGroup ?? call.modelGroup;
    const hidden = this.hidden({ modelGroup, cacheHit, cacheKey: keys.length === 1 ? keys[0] : undefined, deploymentId: answeredBy?.deploymentId, call });
    if (keys.length > 1) Object.assign(hidden, { cacheKeys: keys });
    if (shared) hidden.sharedFlight = true;
    if (cache) this.logLookup(call, keys.length === 1 ? keys[0] : keys, cacheHit, shared, { hits: inputs.length - missing.length });
    this.succeeded(call, modelGroup, answeredBy?.deploymentId, cacheHit, hidden.latencyMs, { ...usage, completion_tokens: 0 });
    const response: PlainEmbeddingResponse = {
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding: embedding! })),
      model,
      usage,
    };
    return withHiddenParams(response, hidden) as EmbeddingResponse | Base64EmbeddingResponse;
  }

  /** Keyed by the sha256 of the audio bytes, never the file name. */
  async transcription(request: TranscriptionRequest): Promise<TranscriptionResponse> {
    const call = this.prepare('transcription', request);
    const file = request.file;
    if (!(file instanceof Blob) && !(file instanceof Uint8Array)) {
      throw invalidRequest('file: must be a File, Blob or Buffer');
    }
    const bytes = file instanceof Blob ? new Uint8Array(await file.arrayBuffer()) : file;
    const blob = file instanceof Blob ? file : new Blob([bytes]);
    const fileName = request.fileName ?? (typeof (file as File).name === 'string' && (file as File).name ? (file as File).name : 'audio.mp3');
    const keyed = withKeyParam(call, 'file', audioIdentity(bytes));
    const compute = async (signal: AbortSignal): Promise<Stored<PlainTranscription>> => {
      const { value, deployment } = await this.dispatcher.execute(
        call,
        0,
        (d, target) => withCall(d.provider, 'transcription').transcription({ file: blob, fileName, params: this.paramsFor(d, call) }, target),
        undefined,
        { signal },
      );
      return { response: value, deploymentId: deployment.id, modelGroup: deployment.modelGroup };
    };
    const isComplete = (r: PlainTranscription) => typeof r.text === 'string' && r.text.length > 0;
    const { context, result } = this.lookup(keyed, compute, {
      validate: isStoredTranscription,
      isStorable: (v) => isComplete(v.response) && this.answeredIdentity(call, v.modelGroup) === call.identity,
    });
    const { value, source } = await result;
    const { stored, hidden } = this.settle(keyed, value, source, context);
    if (source === 'computed') await this.storeFallbackAnswer(keyed, stored, context, isComplete);
    return withHiddenParams(stored.response, hidden) as TranscriptionResponse;
  }

  /**
   * Ends what the router holds: every call in flight is aborted and rejects, every `maxParallelRequests`
   * slot and timer is released, and the router's own cache (not a global one from `setCache()`) is closed.
   * Later calls throw.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dispatcher.close(closedError());
    this.liveStreams.clear();
    this.ownCache?.off('error', this.logCacheError);
    await Promise.all([this.ownCache?.close(), this.ownState?.close?.()]);
  }

  /** Routes a chat or text call and returns the answer with the deployment that gave it; `mockResponse` answers locally. */
  private async answer<T extends { usage?: Usage }>(
    call: PreparedCall,
    promptText: string,
    signal: AbortSignal,
    mock: (text: string, providerModel: string) => T,
    real: (deployment: Deployment, target: ProviderTarget) => Promise<T>,
  ): Promise<Stored<T>> {
    const { value, deployment } = await this.dispatcher.execute(
      call,
      estimateTokens(promptText),
      (d, target) => {
        const text = mockResponseFor(d, call.request);
        return text === undefined ? real(d, target) : Promise.resolve(mock(text, d.providerModel));
      },
      (v) => v.usage?.total_tokens,
      { signal },
    );
    return { response: value, deploymentId: deployment.id, modelGroup: deployment.modelGroup };
  }

  // ---- caching ----

  /**
   * Reads the cache and, on a miss, computes once for all identical concurrent calls (single-flight):
   * `compute` gets the flight's signal, which aborts only when every caller has left. Without a cache, computes.
   */
  private lookup<V>(
    call: PreparedCall,
    compute: (signal: AbortSignal, context: CacheContext) => Promise<V>,
    checks: { validate: (value: unknown) => boolean; isStorable: (value: V) => boolean },
  ): { context: CacheContext; result: Promise<WrapResult<V>> } {
    this.assertOpen();
    const cache = this.cache;
    const { signal } = call.settings;
    if (!cache) {
      const context: CacheContext = { cache, control: undefined, key: undefined, flightKey: undefined };
      return { context, result: compute(signal ?? NEVER_ABORTED, context).then((value) => ({ value, source: 'computed' })) };
    }
    const control = cache.resolveControl(call.callType, call.request.cache as CacheControl | undefined);
    const key = this.keyFor(call, call.identity, control.namespace);
    const context: CacheContext = { cache, control, key, flightKey: undefined };
    const result = cache.wrap(key, (flightSignal) => compute(flightSignal, context), {
      control,
      validate: checks.validate,
      flightKey: () => (context.flightKey = flightKeyOf(key, call.request)),
      isStorable: checks.isStorable,
      signal,
      semantic: () => semanticQueryFor(cache, this, call, call.identity, control.namespace),
    });
    return { context, result };
  }

  /** A computed answer from a fallback group goes under that group's key (never under the key of the group that failed). */
  private async storeFallbackAnswer<T>(call: PreparedCall, stored: Stored<T>, { cache, control }: CacheContext, isComplete: (response: T) => boolean): Promise<void> {
    const answeredBy = this.answeredIdentity(call, stored.modelGroup);
    if (cache && control?.write && answeredBy !== undefined && answeredBy !== call.identity && isComplete(stored.response)) {
      const semantic = semanticQueryFor(cache, this, call, answeredBy, control.namespace);
      await cache.set(this.keyFor(call, answeredBy, control.namespace), stored, { ttlMs: control.ttlMs, semantic });
    }
  }

  /** A whole answer's last steps: each caller's own copy, `_hiddenParams` and the success event. */
  private settle<T extends object>(
    call: PreparedCall,
    result: Stored<T>,
    source: ValueSource,
    { key }: CacheContext,
    similarity?: number,
  ): { stored: Stored<T>; hidden: HiddenParams } {
    // A computed value is shared by the leader and every waiter: each caller gets its own copy.
    const stored = source === 'cache' ? result : structuredClone(result);
    const cacheHit = source === 'cache';
    // A miss reports the group that answered (a fallback's, if one did); a hit, the group asked.
    const modelGroup = cacheHit ? call.modelGroup : stored.modelGroup;
    const hidden = this.hidden({ modelGroup, cacheHit, cacheKey: key, deploymentId: stored.deploymentId, call });
    if (source === 'shared') hidden.sharedFlight = true;
    if (similarity !== undefined) hidden.semanticSimilarity = similarity;
    this.logLookup(call, key, cacheHit, source === 'shared');
    this.succeeded(call, modelGroup, stored.deploymentId, cacheHit, hidden.latencyMs, (stored.response as { usage?: Usage }).usage);
    return { stored, hidden };
  }

  /** A completion's upstream work: a stream already under way for the same flight, else a new one, else a whole answer. */
  private async chatOutcome(call: PreparedCall, stream: boolean, signal: AbortSignal, context: CacheContext): Promise<ChatOutcome> {
    const live = context.flightKey === undefined ? undefined : this.liveStreams.get(context.flightKey);
    if (live) return { ...live, started: false };
    const promptText = JSON.stringify(call.request.messages);
    if (!stream) {
      return this.answer(call, promptText, signal, (text, model) => mockCompletion(text, model, promptText), (d, target) => d.provider.chat(this.paramsFor(d, call), target));
    }
    return this.openStream(call, promptText, signal, context);
  }

  /**
   * Opens the upstream stream (retried like any call until its first chunk) and shares it. It is stored,
   * under the group that answered, once read to its end; a stream nobody reads is never stored.
   */
  private async openStream(call: PreparedCall, promptText: string, signal: AbortSignal, { cache, control, flightKey }: CacheContext): Promise<LiveStream> {
    const streamOptions = call.request.stream_options as CompletionRequest['stream_options'];
    const includeUsage = streamOptions?.include_usage === true;
    const { value: opened, deployment, release, touch, expired } = await this.dispatcher.execute(
      call,
      estimateTokens(promptText),
      async (d, target) => {
        const mock = mockResponseFor(d, call.request);
        const source = mock !== undefined
          ? replay(completionToChunks(mockCompletion(mock, d.providerModel, promptText), { includeUsage }))
          : d.provider.chatStream({ ...this.paramsFor(d, call), ...(streamOptions ? { stream_options: streamOptions } : {}) }, target);
        const iterator = source[Symbol.asyncIterator]();
        // The first chunk proves the stream is up; until then a failure is retried like any other.
        const first = await iterator.next();
        return { iterator, first };
      },
      undefined,
      { stream: true, signal },
    );
    const stream: LiveStream = { live: undefined!, deploymentId: deployment.id, modelGroup: deployment.modelGroup, started: true };
    stream.live = new SharedStream(opened, {
      onChunk: () => touch!(),
      expired: () => expired!(),
      onComplete: async (chunks) => {
        const response = withEstimatedUsage(assembleChunks(chunks), promptText);
        this.dispatcher.recordUsage(deployment, response.usage!.total_tokens);
        // Stored before any reader sees the end, so the next call finds it.
        const identity = this.answeredIdentity(call, deployment.modelGroup);
        if (cache && control?.write && identity !== undefined && isCompleteChat(response)) {
          const stored: Stored<PlainChatCompletion> = { response, deploymentId: deployment.id, modelGroup: deployment.modelGroup };
          const semantic = semanticQueryFor(cache, this, call, identity, control.namespace);
          await cache.set(this.keyFor(call, identity, control.namespace), stored, { ttlMs: control.ttlMs, semantic });
        }
        return response;
      },
      onError: async (error, readersFault) => {
        if (!readersFault) await this.dispatcher.noteFailure(deployment, error as Error, 'completion', performance.now() - call.started);
      },
      onClose: () => {
        release!();
        if (flightKey !== undefined && this.liveStreams.get(flightKey) === stream) this.liveStreams.delete(flightKey);
      },
    });
    if (flightKey !== undefined) this.liveStreams.set(flightKey, stream);
    return stream;
  }

  // ---- routing ----

  private prepare(callType: PreparedCall['callType'], options: CallOptions): PreparedCall {
    const started = performance.now();
    // What a caller sent, which at run time may hold more than the types declare (JavaScript callers, configs).
    const request = options as object as Record<string, unknown>;
    if (typeof request !== 'object' || request === null) throw invalidRequest('request: must be an object');
    const requestedModel = this.aliases.resolve(request.model);
    const { modelGroup, wildcard } = this.wildcards.route(requestedModel);
    const { params, hasSettings } = providerParamsOf(request);
    const settings = hasSettings ? readCallSettings(request) : DEFAULT_CALL_SETTINGS;
    // mockResponse changes the answer, so it is part of the key though it is not sent anywhere.
    const keyParams = request.mockResponse === undefined ? params : { ...params, mockResponse: request.mockResponse };
    const keyJson = canonicalParams(keyParams);
    // A wildcard group serves many models: each requested one is its own cache identity.
    const identity = wildcard ? (request.model as string) : this.identityOf(modelGroup);
    return { callType, modelGroup, identity, concrete: wildcard?.concrete, requestedModel: requestedModel as string, params, keyParams, keyJson, request, settings, started };
  }

  /** Whether `model` names a group of this router (directly, by alias or by a wildcard). */
  servesModel(model: string): boolean {
    try {
      this.wildcards.route(this.aliases.resolve(model));
      return true;
    } catch {
      return false;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }

  /** A model group's identity in cache keys: its caching group's, else its own name. */
  private identityOf(modelGroup: string): string {
    return this.cacheIdentity.get(modelGroup) ?? modelGroup;
  }

  /**
   * The identity of an answer from `modelGroup`: the call's own when its group answered (a wildcard call's is
   * its model); undefined for a wildcard group that answered as a fallback, whose model was made for this
   * request alone, so that answer is not stored.
   */
  private answeredIdentity(call: PreparedCall, modelGroup: string): string | undefined {
    if (modelGroup === call.modelGroup) return call.identity;
    return isPattern(modelGroup) ? undefined : this.identityOf(modelGroup);
  }

  private keyFor(call: PreparedCall, identity: string, namespace: string | undefined): string {
    return cacheKeyFromCanonicalParams(call.callType, identity, call.keyJson, namespace);
  }

  private namespaceFor(request: { cache?: { namespace?: string } }): string | undefined {
    return request.cache?.namespace ?? this.cache?.namespace;
  }

  private embeddingKeys(call: PreparedCall, inputs: readonly EmbeddingInput[], namespace: string | undefined, identity = call.identity): string[] {
    return inputs.map((input) => cacheKey({ callType: 'embedding', model: identity, params: { ...call.keyParams, input }, namespace }));
  }

  private paramsFor(deployment: Deployment, call: PreparedCall): ProviderParams {
    return withExtraBody(withoutRefusedParams(mergeDeploymentParams(deployment.params, call.params), deployment, call.settings.dropParams));
  }

  private hidden(h: { modelGroup: string; cacheHit: boolean; cacheKey: string | undefined; deploymentId: string | undefined; call: PreparedCall }): HiddenParams {
    return {
      cacheHit: h.cacheHit,
      cacheKey: h.cacheKey,
      modelGroup: h.modelGroup,
      deploymentId: h.deploymentId,
      // A wildcard deployment's model is the one made for this call's requested model.
      model: h.deploymentId === undefined ? undefined : (h.call.concrete?.get(h.deploymentId) ?? this.deploymentsById.get(h.deploymentId))?.providerModel,
      latencyMs: performance.now() - h.call.started,
    };
  }

  /** The debug line of a cache lookup (several keys for a batch of embedding inputs); without a cache, none. */
  private logLookup(call: PreparedCall, key: string | readonly string[] | undefined, hit: boolean, sharedFlight: boolean, extra?: Record<string, unknown>): void {
    if (key === undefined || !this.log.logsDebug) return;
    this.log.debug(hit ? 'cache hit' : 'cache miss', { [typeof key === 'string' ? 'key' : 'keys']: key, callType: call.callType, modelGroup: call.modelGroup, hit, sharedFlight, ...extra });
  }

  /** The success event, for misses and hits alike; built only when someone listens (it is on the hit path). */
  private succeeded(call: PreparedCall, modelGroup: string, deploymentId: string | undefined, cacheHit: boolean, latencyMs: number, usage: Usage | undefined): void {
    if (this.listenerCount('success') === 0) return;
    this.emit('success', { modelGroup, deploymentId, cacheHit, latencyMs, usage, callType: call.callType });
  }
}

/** The call with one more key param (a transcription's audio identity). */
function withKeyParam(call: PreparedCall, name: string, value: unknown): PreparedCall {
  const keyParams = { ...call.keyParams, [name]: value };
  return { ...call, keyParams, keyJson: canonicalParams(keyParams) };
}

function closedError(): RouterConfigError {
  return new RouterConfigError('router', 'is closed: close() was called; create a new Router');
}

async function* replay(chunks: readonly PlainChunk[]): AsyncGenerator<PlainChunk> {
  for (const chunk of chunks) yield chunk;
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

function mockResponseFor(deployment: Deployment, request: Record<string, unknown>): string | undefined {
  return (request.mockResponse ?? deployment.params.mockResponse) as string | undefined;
}
