import { existsSync } from 'node:fs';
import { Cache, cacheKey, type CacheControl, type CacheHit, type ResolvedControl, type ValueSource } from '@llmcache/core';
import { EventEmitter } from 'eventemitter3';
import { readLiteLLMConfig, translateLiteLLMConfig } from './config';
import { buildModelGroups, type Deployment } from './deployments';
import { Dispatcher } from './dispatcher';
import { invalidRequest, ProviderError, RouterConfigError } from './errors';
import { getCache } from './global';
import type { PlainChatCompletion, PlainEmbeddingResponse, PlainTranscription, ProviderParams, ProviderTarget } from './providers';
import { audioIdentity, flightKeyOf, mergeDeploymentParams, providerParamsOf } from './request';
import {
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
import { assembleChunks, completionToChunks } from './stream';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  CompletionRequest,
  CompletionStream,
  EmbeddingRequest,
  EmbeddingResponse,
  HiddenParams,
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

/** A call ready to route: its group, cache identity and the params the provider gets. */
interface PreparedCall {
  callType: 'completion' | 'text_completion' | 'embedding' | 'transcription';
  modelGroup: string;
  identity: string;
  /** What the provider gets: request params minus transport, control and llmcache fields. */
  params: ProviderParams;
  /** What the key is built from: `params`, plus `mockResponse`, which changes the answer. */
  keyParams: ProviderParams;
  request: Record<string, unknown>;
}

const ROUTER_OPTIONS = new Set<keyof RouterOptions>([
  'modelList', 'cachingGroups', 'cache', 'routingStrategy', 'numRetries', 'timeout', 'fallbacks', 'contextWindowFallbacks',
  'allowedFails', 'cooldownTime', 'retryAfter', 'state',
]);
/**
 * Routes calls across the deployments of each model group, with retries, fallbacks and cooldowns, and
 * serves repeated calls from the cache. Model groups in one caching group share cache entries.
 */
export class Router extends EventEmitter<RouterEvents> {
  /** Config keys `fromConfig` found and ignored. */
  unsupportedConfig: readonly string[] = [];
  private readonly groups: ReadonlyMap<string, readonly Deployment[]>;
  private readonly deploymentsById: ReadonlyMap<string, Deployment>;
  private readonly cacheIdentity: ReadonlyMap<string, string>;
  private readonly ownCache: Cache | undefined;
  private readonly dispatcher: Dispatcher;

  constructor(options: RouterOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new RouterConfigError('options', 'must be an object with at least modelList');
    for (const name of Object.keys(options)) {
      if (!ROUTER_OPTIONS.has(name as keyof RouterOptions)) throw new RouterConfigError(name, 'is not a Router option');
    }
    const { groups, cacheIdentity } = buildModelGroups(options.modelList, options.cachingGroups);
    this.groups = groups;
    this.deploymentsById = new Map([...groups.values()].flat().map((d) => [d.id, d]));
    this.cacheIdentity = cacheIdentity;
    if (options.cache !== undefined && !(options.cache instanceof Cache)) throw new RouterConfigError('cache', 'must be a Cache from @llmcache/core');
    this.ownCache = options.cache;
    this.dispatcher = new Dispatcher(groups, options, this);
  }

  /** A router from a LiteLLM proxy `config.yaml` (a path, YAML text or the parsed object); see `unsupportedConfig`. */
  static fromConfig(config: string | Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Router {
    const isPath = typeof config === 'string' && !config.includes('\n') && existsSync(config);
    const translation = isPath ? readLiteLLMConfig(config as string, env) : translateLiteLLMConfig(config, env);
    const router = new Router({ ...translation.routerOptions, ...(translation.cacheOptions ? { cache: new Cache(translation.cacheOptions) } : {}) });
    router.unsupportedConfig = translation.unsupported;
    return router;
  }

  /** The cache calls use now: the router's own, else the global one from `setCache()`. */
  get cache(): Cache | undefined {
    return this.ownCache ?? getCache();
  }

  /** Model group names. */
  get modelGroups(): string[] {
    return [...this.groups.keys()];
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
      return this.keyFor({ ...call, keyParams: { ...call.keyParams, file: audioIdentity(file) } }, call.identity, namespace);
    }
    if (callType !== 'embedding') return this.keyFor(call, call.identity, namespace);
    const input = (request as EmbeddingRequest).input;
    const inputs = Array.isArray(input) ? input : [input];
    if (inputs.length !== 1) throw invalidRequest('input: an embedding request with several inputs has one cache key per input; ask for each');
    return this.embeddingKeys(call, inputs, namespace)[0]!;
  }

  /** Which deployment the strategy would pick now for `modelGroup` (LiteLLM's get_available_deployment). */
  async getAvailableDeployment(modelGroup: string): Promise<{ id: string; modelGroup: string; model: string }> {
    const d = await this.dispatcher.pick(modelGroup, 0, false);
    return { id: d.id, modelGroup: d.modelGroup, model: d.params.model };
  }

  completion(request: CompletionRequest & { stream: true }): Promise<CompletionStream>;
  completion(request: CompletionRequest & { stream?: false | undefined }): Promise<ChatCompletion>;
  completion(request: CompletionRequest): Promise<ChatCompletion | CompletionStream>;
  async completion(request: CompletionRequest): Promise<ChatCompletion | CompletionStream> {
    const started = performance.now();
    const call = this.prepare('completion', request);
    if (!Array.isArray(request.messages)) throw invalidRequest('messages: must be an array of chat messages');
    if (request.stream === true) return this.streamCompletion(call, started);
    const compute = () => {
      const promptText = JSON.stringify(request.messages);
      return this.answer(call, promptText, (text, model) => mockCompletion(text, model, promptText), (d, target) => d.provider.chat(this.paramsFor(d, call), target));
    };
    const { stored, hidden } = await this.cached(call, compute, { isComplete: isCompleteChat, validate: isStoredChat }, started);
    return withHiddenParams(stored.response, hidden) as ChatCompletion;
  }

  async textCompletion(request: TextCompletionRequest): Promise<TextCompletion> {
    const started = performance.now();
    const call = this.prepare('text_completion', request);
    if (request.stream === true) throw invalidRequest('stream: textCompletion does not stream; use completion() with messages');
    const prompt = Array.isArray(request.prompt) ? request.prompt.join('\n') : String(request.prompt ?? '');
    const compute = () =>
      this.answer(call, prompt, (text, model) => mockTextCompletion(text, model, prompt), (d, target) => d.provider.textCompletion(this.paramsFor(d, call), target));
    const { stored, hidden } = await this.cached(call, compute, { isComplete: isCompleteText, validate: isStoredText }, started);
    return withHiddenParams(stored.response, hidden) as TextCompletion;
  }

  /** Each input string is its own cache entry; only the missing ones go upstream, in one call. */
  async embedding(request: EmbeddingRequest): Promise<EmbeddingResponse> {
    const started = performance.now();
    const call = this.prepare('embedding', request);
    const single = typeof request.input === 'string';
    const inputs = single ? [request.input as string] : request.input;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((s) => typeof s === 'string')) {
      throw invalidRequest('input: must be a string or a non-empty array of strings');
    }
    const cache = this.cache;
    const control = cache?.resolveControl('embedding', request.cache);
    const keys = cache ? this.embeddingKeys(call, inputs, control!.namespace) : [];
    const hits: (CacheHit<{ embedding: number[] | string; model: string }> | undefined)[] =
      cache && control!.read ? await cache.getMany(keys, { maxAgeMs: control!.maxAgeMs, validate: isStoredEmbedding }) : inputs.map(() => undefined);
    const missing = inputs.map((_, i) => i).filter((i) => hits[i] === undefined);
    const vectors = hits.map((h) => h?.value.embedding);
    let model = hits.find((h) => h)?.value.model ?? '';
    let usage = { prompt_tokens: 0, total_tokens: 0 };
    let deploymentId: string | undefined;
    let modelGroup = call.modelGroup;
    if (missing.length > 0) {
      const texts = missing.map((i) => inputs[i]!);
      const { value, deployment } = await this.dispatcher.execute(call, estimateTokens(texts.join(' ')), (d, target) =>
        d.provider.embedding({ ...this.paramsFor(d, call), input: single ? texts[0] : texts }, target),
      (v) => v.usage?.total_tokens);
      deploymentId = deployment.id;
      modelGroup = deployment.modelGroup;
      model = value.model ?? model;
      usage = { prompt_tokens: value.usage?.prompt_tokens ?? 0, total_tokens: value.usage?.total_tokens ?? 0 };
      const byIndex = [...value.data].sort((a, b) => a.index - b.index);
      if (byIndex.length !== texts.length) {
        throw new ProviderError(`asked for ${texts.length} embeddings, got ${byIndex.length}`, { status: 500, provider: deployment.provider.name, model: deployment.providerModel });
      }
      missing.forEach((inputIndex, j) => (vectors[inputIndex] = byIndex[j]!.embedding));
      if (cache && control!.write) {
        // A fallback group's vectors belong under that group's keys: it is another model.
        const storeKeys = this.identityOf(modelGroup) === call.identity ? keys : this.embeddingKeys(call, inputs, control!.namespace, this.identityOf(modelGroup));
        await cache.setMany(missing.map((inputIndex, j) => ({ key: storeKeys[inputIndex]!, value: { embedding: byIndex[j]!.embedding, model } })), { ttlMs: control!.ttlMs });
      }
    }
    const cacheHit = cache !== undefined && missing.length === 0;
    const hidden = this.hidden({ modelGroup, cacheHit, cacheKey: keys.length === 1 ? keys[0] : undefined, deploymentId, started });
    if (keys.length > 1) Object.assign(hidden, { cacheKeys: keys });
    this.succeeded(call, modelGroup, deploymentId, cacheHit, hidden.latencyMs, { ...usage, completion_tokens: 0 });
    const response: PlainEmbeddingResponse = {
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding: embedding! })),
      model,
      usage,
    };
    return withHiddenParams(response, hidden) as EmbeddingResponse;
  }

  /** Keyed by the sha256 of the audio bytes, never the file name. */
  async transcription(request: TranscriptionRequest): Promise<TranscriptionResponse> {
    const started = performance.now();
    const call = this.prepare('transcription', request);
    const file = request.file;
    if (!(file instanceof Blob) && !(file instanceof Uint8Array)) {
      throw invalidRequest('file: must be a File, Blob or Buffer');
    }
    const bytes = file instanceof Blob ? new Uint8Array(await file.arrayBuffer()) : file;
    const blob = file instanceof Blob ? file : new Blob([bytes]);
    const fileName = request.fileName ?? (typeof (file as File).name === 'string' && (file as File).name ? (file as File).name : 'audio.mp3');
    const keyed: PreparedCall = { ...call, keyParams: { ...call.keyParams, file: audioIdentity(bytes) } };
    const compute = async (): Promise<Stored<PlainTranscription>> => {
      const { value, deployment } = await this.dispatcher.execute(call, 0, (d, target) =>
        d.provider.transcription({ file: blob, fileName, params: this.paramsFor(d, call) }, target),
      );
      return { response: value, deploymentId: deployment.id, modelGroup: deployment.modelGroup };
    };
    const isComplete = (r: PlainTranscription) => typeof r.text === 'string' && r.text.length > 0;
    const { stored, hidden } = await this.cached(keyed, compute, { isComplete, validate: isStoredTranscription }, started);
    return withHiddenParams(stored.response, hidden) as TranscriptionResponse;
  }

  /** Routes a chat or text call and returns the answer with the deployment that gave it; `mockResponse` answers locally. */
  private async answer<T extends { usage?: Usage }>(
    call: PreparedCall,
    promptText: string,
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
    );
    return { response: value, deploymentId: deployment.id, modelGroup: deployment.modelGroup };
  }

  // ---- caching ----

  /**
   * Non-stream calls: read, single-flight the miss, store only complete answers. An answer from a
   * fallback group is stored under that group's key, never under the key of the group that failed.
   */
  private async cached<T extends object>(
    call: PreparedCall,
    compute: () => Promise<Stored<T>>,
    checks: { isComplete: (response: T) => boolean; validate: (value: unknown) => boolean },
    started: number,
  ): Promise<{ stored: Stored<T>; hidden: HiddenParams }> {
    const cache = this.cache;
    let stored: Stored<T>;
    let source: ValueSource = 'computed';
    let key: string | undefined;
    if (!cache) {
      stored = await compute();
    } else {
      const control = cache.resolveControl(call.callType, call.request.cache as CacheControl | undefined);
      key = this.keyFor(call, call.identity, control.namespace);
      const result = await cache.wrap(key, compute, {
        control,
        validate: checks.validate,
        flightKey: flightKeyOf(key, call.request),
        isStorable: (s) => checks.isComplete(s.response) && this.identityOf(s.modelGroup) === call.identity,
      });
      source = result.source;
      // A computed value is shared by the leader and every waiter: each caller gets its own copy.
      stored = source === 'cache' ? result.value : structuredClone(result.value);
      const answeredBy = this.identityOf(stored.modelGroup);
      if (source === 'computed' && answeredBy !== call.identity && control.write && checks.isComplete(stored.response)) {
        await cache.set(this.keyFor(call, answeredBy, control.namespace), stored, { ttlMs: control.ttlMs });
      }
    }
    const cacheHit = source === 'cache';
    // A miss reports the group that answered (a fallback's, if one did); a hit, the group asked.
    const modelGroup = cacheHit ? call.modelGroup : stored.modelGroup;
    const hidden = this.hidden({ modelGroup, cacheHit, cacheKey: key, deploymentId: stored.deploymentId, started });
    if (source === 'shared') hidden.sharedFlight = true;
    this.succeeded(call, modelGroup, stored.deploymentId, cacheHit, hidden.latencyMs, (stored.response as { usage?: Usage }).usage);
    return { stored, hidden };
  }

  private async streamCompletion(call: PreparedCall, started: number): Promise<CompletionStream> {
    const request = call.request as CompletionRequest;
    const cache = this.cache;
    const control: ResolvedControl | undefined = cache?.resolveControl('completion', request.cache);
    const key = cache ? this.keyFor(call, call.identity, control!.namespace) : undefined;
    const includeUsage = request.stream_options?.include_usage === true;
    if (cache && control!.read) {
      const hit = await cache.get<Stored<PlainChatCompletion>>(key!, { maxAgeMs: control!.maxAgeMs, validate: isStoredChat });
      if (hit) {
        const hidden = this.hidden({ modelGroup: call.modelGroup, cacheHit: true, cacheKey: key, deploymentId: hit.value.deploymentId, started });
        this.succeeded(call, call.modelGroup, hit.value.deploymentId, true, hidden.latencyMs, hit.value.response.usage);
        return makeStream(replay(completionToChunks(hit.value.response, { includeUsage })), hidden);
      }
    }
    const promptText = JSON.stringify(request.messages);
    const { value: opened, deployment, release, touch } = await this.dispatcher.execute(
      call,
      estimateTokens(promptText),
      async (d, target) => {
        const mock = mockResponseFor(d, request);
        const source = mock !== undefined
          ? replay(completionToChunks(mockCompletion(mock, d.providerModel, promptText), { includeUsage }))
          : d.provider.chatStream({ ...this.paramsFor(d, call), ...(request.stream_options ? { stream_options: request.stream_options } : {}) }, target);
        const iterator = source[Symbol.asyncIterator]();
        // The first chunk proves the stream is up; until then a failure is retried like any other.
        const first = await iterator.next();
        return { iterator, first };
      },
      undefined,
      { keepSlot: true },
    );
    const hidden = this.hidden({ modelGroup: deployment.modelGroup, cacheHit: false, cacheKey: key, deploymentId: deployment.id, started });
    const router = this;
    async function* relay(): AsyncGenerator<ChatCompletionChunk> {
      const chunks: ChatCompletionChunk[] = [];
      let complete = false;
      try {
        for (let next = opened.first; !next.done; next = await opened.iterator.next()) {
          touch?.();
          chunks.push(next.value);
          yield next.value;
        }
        complete = true;
      } catch (err) {
        await router.dispatcher.noteFailure(deployment, err as Error, 'completion', performance.now() - started);
        throw err;
      } finally {
        release?.();
        if (!complete) await opened.iterator.return?.().catch(() => {});
      }
      const response = withEstimatedUsage(assembleChunks(chunks), promptText);
      router.dispatcher.recordUsage(deployment, response.usage!.total_tokens);
      router.succeeded(call, deployment.modelGroup, deployment.id, false, performance.now() - started, response.usage);
      // Stored before the iteration ends, so the next call sees it; under the group that answered.
      if (cache && control!.write && isCompleteChat(response)) {
        const stored: Stored<PlainChatCompletion> = { response, deploymentId: deployment.id, modelGroup: deployment.modelGroup };
        await cache.set(router.keyFor(call, router.identityOf(deployment.modelGroup), control!.namespace), stored, { ttlMs: control!.ttlMs });
      }
    }
    return makeStream(relay(), hidden);
  }

  // ---- routing ----

  private prepare(callType: PreparedCall['callType'], request: Record<string, unknown>): PreparedCall {
    if (typeof request !== 'object' || request === null) throw invalidRequest('request: must be an object');
    const modelGroup = request.model;
    if (typeof modelGroup !== 'string' || !this.groups.has(modelGroup)) {
      throw invalidRequest(`model: "${String(modelGroup)}" is not a model group of this router; known: ${[...this.groups.keys()].join(', ')}`);
    }
    const params = providerParamsOf(request);
    // mockResponse changes the answer, so it is part of the key though it is not sent anywhere.
    const keyParams = request.mockResponse === undefined ? params : { ...params, mockResponse: request.mockResponse };
    return { callType, modelGroup, identity: this.identityOf(modelGroup), params, keyParams, request };
  }

  /** A model group's identity in cache keys: its caching group's, else its own name. */
  private identityOf(modelGroup: string): string {
    return this.cacheIdentity.get(modelGroup) ?? modelGroup;
  }

  private keyFor(call: PreparedCall, identity: string, namespace: string | undefined): string {
    return cacheKey({ callType: call.callType, model: identity, params: call.keyParams, namespace });
  }

  private namespaceFor(request: { cache?: { namespace?: string } }): string | undefined {
    return request.cache?.namespace ?? this.cache?.namespace;
  }

  private embeddingKeys(call: PreparedCall, inputs: readonly string[], namespace: string | undefined, identity = call.identity): string[] {
    return inputs.map((input) => cacheKey({ callType: 'embedding', model: identity, params: { ...call.keyParams, input }, namespace }));
  }

  private paramsFor(deployment: Deployment, call: PreparedCall): ProviderParams {
    return mergeDeploymentParams(deployment.params, call.params);
  }

  private hidden(h: { modelGroup: string; cacheHit: boolean; cacheKey: string | undefined; deploymentId: string | undefined; started: number }): HiddenParams {
    return {
      cacheHit: h.cacheHit,
      cacheKey: h.cacheKey,
      modelGroup: h.modelGroup,
      deploymentId: h.deploymentId,
      model: h.deploymentId === undefined ? undefined : this.deploymentsById.get(h.deploymentId)?.providerModel,
      latencyMs: performance.now() - h.started,
    };
  }

  /** The success event, for misses and hits alike; built only when someone listens (it is on the hit path). */
  private succeeded(call: PreparedCall, modelGroup: string, deploymentId: string | undefined, cacheHit: boolean, latencyMs: number, usage: Usage | undefined): void {
    if (this.listenerCount('success') === 0) return;
    this.emit('success', { modelGroup, deploymentId, cacheHit, latencyMs, usage, callType: call.callType });
  }

}

async function* replay(chunks: readonly ChatCompletionChunk[]): AsyncGenerator<ChatCompletionChunk> {
  for (const chunk of chunks) yield chunk;
}

function makeStream(source: AsyncIterable<ChatCompletionChunk>, hidden: HiddenParams): CompletionStream {
  const stream = { [Symbol.asyncIterator]: () => source[Symbol.asyncIterator]() };
  return withHiddenParams(stream, hidden) as CompletionStream;
}

function mockResponseFor(deployment: Deployment, request: Record<string, unknown>): string | undefined {
  return (request.mockResponse ?? deployment.params.mockResponse) as string | undefined;
}
