import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Cache, cacheKey, isThenable, type CacheHit, type ResolvedControl } from '@llmcache/core';
import { EventEmitter } from 'eventemitter3';
import { readLiteLLMConfig, translateLiteLLMConfig } from './config';
import { buildModelGroups, takeSlot, type Deployment } from './deployments';
import {
  BadRequestError,
  ContextWindowExceededError,
  countsTowardCooldown,
  isRetryable,
  ProviderError,
  RateLimitError,
  RouterConfigError,
} from './errors';
import { getCache } from './global';
import type { PlainChatCompletion, PlainEmbeddingResponse, PlainTextCompletion, PlainTranscription, ProviderParams, ProviderTarget } from './providers';
import { estimateTokens, isCompleteChat, isCompleteText, mockCompletion, mockTextCompletion, withHiddenParams } from './responses';
import { MemoryRouterState, type MinuteUsage, type RouterState } from './state';
import { LatencyTracker, STRATEGIES, type Strategy } from './strategies';
import { assembleChunks, completionToChunks } from './stream';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  CompletionRequest,
  CompletionStream,
  EmbeddingRequest,
  EmbeddingResponse,
  HiddenParams,
  RouterOptions,
  TextCompletion,
  TextCompletionRequest,
  TranscriptionRequest,
  TranscriptionResponse,
  Usage,
} from './types';

export interface RouterEvents {
  success: (event: { modelGroup: string; deploymentId: string | undefined; cacheHit: boolean; latencyMs: number; usage: Usage | undefined; callType: string }) => void;
  failure: (event: { modelGroup: string; deploymentId: string; error: Error; latencyMs: number; callType: string }) => void;
  retry: (event: { modelGroup: string; deploymentId: string | undefined; attempt: number; delayMs: number; error: Error }) => void;
  fallback: (event: { from: string; to: string; error: Error }) => void;
  cooldown: (event: { modelGroup: string; deploymentId: string; until: number; failures: number; error: Error }) => void;
  error: (error: Error) => void;
}

/** What a chat or text answer is stored as: the plain answer and the deployment that produced it. */
interface Stored<T> {
  response: T;
  deploymentId: string | undefined;
}

/** A call ready to route: its group, cache identity and the params the provider gets. */
interface PreparedCall {
  callType: 'completion' | 'text_completion' | 'embedding' | 'transcription';
  modelGroup: string;
  identity: string;
  /** Request params minus llmcache's own: what the provider gets and what the key is built from. */
  params: ProviderParams;
  request: Record<string, unknown>;
}

/** Request fields llmcache consumes itself; never sent to a provider. */
const OWN_FIELDS = new Set(['model', 'cache', 'mockResponse', 'timeout', 'numRetries', 'metadata', 'apiKey', 'apiBase', 'apiVersion', 'stream', 'file', 'fileName']);
/** Deployment params llmcache consumes itself; the rest are provider params for every call to it. */
const DEPLOYMENT_FIELDS = new Set(['model', 'apiKey', 'apiBase', 'apiVersion', 'rpm', 'tpm', 'weight', 'timeout', 'maxParallelRequests', 'mockResponse']);
const ROUTER_OPTIONS = new Set<keyof RouterOptions>([
  'modelList', 'cachingGroups', 'cache', 'routingStrategy', 'numRetries', 'timeout', 'fallbacks', 'contextWindowFallbacks',
  'allowedFails', 'cooldownTime', 'retryAfter', 'state',
]);
const FAILURE_WINDOW_MS = 60_000;

/**
 * Routes calls across the deployments of each model group, with retries, fallbacks and cooldowns, and
 * serves repeated calls from the cache. Model groups in one caching group share cache entries.
 */
export class Router extends EventEmitter<RouterEvents> {
  /** Config keys `fromConfig` found and ignored. */
  unsupportedConfig: readonly string[] = [];
  private readonly groups: ReadonlyMap<string, readonly Deployment[]>;
  private readonly groupIds: ReadonlyMap<string, readonly string[]>;
  private readonly cacheIdentity: ReadonlyMap<string, string>;
  private readonly ownCache: Cache | undefined;
  private readonly strategyName: NonNullable<RouterOptions['routingStrategy']>;
  private readonly strategy: Strategy;
  private readonly state: RouterState;
  private readonly numRetries: number;
  private readonly timeoutSeconds: number;
  private readonly allowedFails: number;
  private readonly cooldownMs: number;
  private readonly retryAfterSeconds: number;
  private readonly fallbacks: ReadonlyMap<string, readonly string[]>;
  private readonly contextWindowFallbacks: ReadonlyMap<string, readonly string[]>;
  private readonly inFlight = new Map<string, number>();
  private readonly latency = new LatencyTracker();

  constructor(options: RouterOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new RouterConfigError('options', 'must be an object with at least modelList');
    for (const name of Object.keys(options)) {
      if (!ROUTER_OPTIONS.has(name as keyof RouterOptions)) throw new RouterConfigError(name, 'is not a Router option');
    }
    const { groups, cacheIdentity } = buildModelGroups(options.modelList, options.cachingGroups);
    this.groups = groups;
    this.groupIds = new Map([...groups].map(([name, list]) => [name, list.map((d) => d.id)]));
    this.cacheIdentity = cacheIdentity;
    if (options.cache !== undefined && !(options.cache instanceof Cache)) throw new RouterConfigError('cache', 'must be a Cache from @llmcache/core');
    this.ownCache = options.cache;
    this.strategyName = options.routingStrategy ?? 'simple-shuffle';
    const strategy = STRATEGIES[this.strategyName];
    if (!strategy) throw new RouterConfigError('routingStrategy', `must be one of ${Object.keys(STRATEGIES).join(', ')}, got ${JSON.stringify(options.routingStrategy)}`);
    this.strategy = strategy;
    this.state = options.state ?? new MemoryRouterState();
    this.numRetries = wholeNumber('numRetries', options.numRetries ?? 2);
    this.timeoutSeconds = positive('timeout', options.timeout ?? 600);
    this.allowedFails = wholeNumber('allowedFails', options.allowedFails ?? 3);
    this.cooldownMs = nonNegative('cooldownTime', options.cooldownTime ?? 5) * 1000;
    this.retryAfterSeconds = nonNegative('retryAfter', options.retryAfter ?? 0.5);
    this.fallbacks = this.fallbackMap('fallbacks', options.fallbacks);
    this.contextWindowFallbacks = this.fallbackMap('contextWindowFallbacks', options.contextWindowFallbacks);
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

  /** The cache key the call would use (`_hiddenParams.cacheKey`); for embeddings, a single input's. */
  cacheKey(request: CompletionRequest | TextCompletionRequest | EmbeddingRequest): string {
    const callType = 'messages' in request ? 'completion' : 'prompt' in request ? 'text_completion' : 'embedding';
    const call = this.prepare(callType, request);
    const namespace = this.namespaceFor(request);
    if (callType !== 'embedding') return cacheKey({ callType, model: call.identity, params: call.params, namespace });
    const input = (request as EmbeddingRequest).input;
    const inputs = Array.isArray(input) ? input : [input];
    if (inputs.length !== 1) throw invalidRequest('input: an embedding request with several inputs has one cache key per input; ask for each');
    return this.embeddingKeys(call, inputs, namespace)[0]!;
  }

  /** Which deployment the strategy would pick now for `modelGroup` (LiteLLM's get_available_deployment). */
  async getAvailableDeployment(modelGroup: string): Promise<{ id: string; modelGroup: string; model: string }> {
    const d = await this.pick(modelGroup, 0, false);
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
    const { stored, hidden } = await this.cached(call, request, compute, (s) => isCompleteChat(s.response), started);
    return withHiddenParams(stored.response, hidden) as ChatCompletion;
  }

  async textCompletion(request: TextCompletionRequest): Promise<TextCompletion> {
    const started = performance.now();
    const call = this.prepare('text_completion', request);
    if (request.stream === true) throw invalidRequest('stream: textCompletion does not stream; use completion() with messages');
    const prompt = Array.isArray(request.prompt) ? request.prompt.join('\n') : String(request.prompt ?? '');
    const compute = () =>
      this.answer(call, prompt, (text, model) => mockTextCompletion(text, model, prompt), (d, target) => d.provider.textCompletion(this.paramsFor(d, call), target));
    const { stored, hidden } = await this.cached(call, request, compute, (s) => isCompleteText(s.response), started);
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
      cache && control!.read ? await cache.getMany(keys, { maxAgeMs: control!.maxAgeMs }) : inputs.map(() => undefined);
    const missing = inputs.map((_, i) => i).filter((i) => hits[i] === undefined);
    const vectors = hits.map((h) => h?.value.embedding);
    let model = hits.find((h) => h)?.value.model ?? '';
    let usage = { prompt_tokens: 0, total_tokens: 0 };
    let deploymentId: string | undefined;
    if (missing.length > 0) {
      const texts = missing.map((i) => inputs[i]!);
      const { value, deployment } = await this.execute(call, estimateTokens(texts.join(' ')), (d, target) =>
        d.provider.embedding({ ...this.paramsFor(d, call), input: single ? texts[0] : texts }, target),
      (v) => v.usage?.total_tokens);
      deploymentId = deployment.id;
      model = value.model ?? model;
      usage = { prompt_tokens: value.usage?.prompt_tokens ?? 0, total_tokens: value.usage?.total_tokens ?? 0 };
      const byIndex = [...value.data].sort((a, b) => a.index - b.index);
      if (byIndex.length !== texts.length) {
        throw new ProviderError(`asked for ${texts.length} embeddings, got ${byIndex.length}`, { status: 500, provider: deployment.provider.name, model: deployment.providerModel });
      }
      missing.forEach((inputIndex, j) => (vectors[inputIndex] = byIndex[j]!.embedding));
      if (cache && control!.write) {
        await cache.setMany(missing.map((inputIndex, j) => ({ key: keys[inputIndex]!, value: { embedding: byIndex[j]!.embedding, model } })), { ttlMs: control!.ttlMs });
      }
    }
    const cacheHit = cache !== undefined && missing.length === 0;
    const hidden = this.hidden(call, { cacheHit, cacheKey: keys.length === 1 ? keys[0] : undefined, deploymentId, started });
    if (keys.length > 1) Object.assign(hidden, { cacheKeys: keys });
    this.succeeded(call, deploymentId, cacheHit, hidden.latencyMs, { ...usage, completion_tokens: 0 });
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
    const audio = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
    const keyed: PreparedCall = { ...call, params: { ...call.params, file: audio } };
    const compute = async (): Promise<Stored<PlainTranscription>> => {
      const { value, deployment } = await this.execute(call, 0, (d, target) =>
        d.provider.transcription({ file: blob, fileName, params: this.paramsFor(d, call) }, target),
      );
      return { response: value, deploymentId: deployment.id };
    };
    const { stored, hidden } = await this.cached(keyed, request, compute, (s) => typeof s.response.text === 'string' && s.response.text.length > 0, started);
    return withHiddenParams(stored.response, hidden) as TranscriptionResponse;
  }

  /** Routes a chat or text call and returns the answer with the deployment that gave it; `mockResponse` answers locally. */
  private async answer<T extends { usage?: Usage }>(
    call: PreparedCall,
    promptText: string,
    mock: (text: string, providerModel: string) => T,
    real: (deployment: Deployment, target: ProviderTarget) => Promise<T>,
  ): Promise<Stored<T>> {
    const { value, deployment } = await this.execute(
      call,
      estimateTokens(promptText),
      (d, target) => {
        const text = mockResponseFor(d, call.request);
        return text === undefined ? real(d, target) : Promise.resolve(mock(text, d.providerModel));
      },
      (v) => v.usage?.total_tokens,
    );
    return { response: value, deploymentId: deployment.id };
  }

  // ---- caching ----

  /** Non-stream calls: read, single-flight the miss, store only what `isStorable` accepts. */
  private async cached<T extends object>(
    call: PreparedCall,
    request: { cache?: unknown },
    compute: () => Promise<Stored<T>>,
    isStorable: (stored: Stored<T>) => boolean,
    started: number,
  ): Promise<{ stored: Stored<T>; hidden: HiddenParams }> {
    const cache = this.cache;
    let stored: Stored<T>;
    let cacheHit = false;
    let key: string | undefined;
    let shared = false;
    if (!cache) {
      stored = await compute();
    } else {
      const control = cache.resolveControl(call.callType, request.cache as never);
      key = cacheKey({ callType: call.callType, model: call.identity, params: call.params, namespace: control.namespace });
      const result = await cache.wrap(key, compute, { control, isStorable });
      cacheHit = result.source === 'cache';
      shared = result.source === 'shared';
      // Waiters share one object; each caller gets its own copy.
      stored = shared ? structuredClone(result.value) : result.value;
    }
    const hidden = this.hidden(call, { cacheHit, cacheKey: key, deploymentId: stored.deploymentId, started });
    if (shared) hidden.sharedFlight = true;
    const usage = (stored.response as { usage?: Usage }).usage;
    this.succeeded(call, stored.deploymentId, cacheHit, hidden.latencyMs, usage);
    return { stored, hidden };
  }

  private async streamCompletion(call: PreparedCall, started: number): Promise<CompletionStream> {
    const request = call.request as CompletionRequest;
    const cache = this.cache;
    const control: ResolvedControl | undefined = cache?.resolveControl('completion', request.cache);
    const key = cache ? cacheKey({ callType: 'completion', model: call.identity, params: call.params, namespace: control!.namespace }) : undefined;
    const includeUsage = request.stream_options?.include_usage === true;
    if (cache && control!.read) {
      const hit = await cache.get<Stored<PlainChatCompletion>>(key!, { maxAgeMs: control!.maxAgeMs });
      if (hit) {
        const hidden = this.hidden(call, { cacheHit: true, cacheKey: key, deploymentId: hit.value.deploymentId, started });
        this.succeeded(call, hit.value.deploymentId, true, hidden.latencyMs, hit.value.response.usage);
        return makeStream(replay(completionToChunks(hit.value.response, { includeUsage })), hidden);
      }
    }
    const promptText = JSON.stringify(request.messages);
    const { value: opened, deployment, release } = await this.execute(
      call,
      estimateTokens(promptText),
      async (d, target) => {
        const mock = mockResponseFor(d, request);
        const source = mock !== undefined
          ? replay(completionToChunks(mockCompletion(mock, d.providerModel, promptText), { includeUsage }))
          : d.provider.chatStream({ ...this.paramsFor(d, call), stream_options: request.stream_options }, target);
        const iterator = source[Symbol.asyncIterator]();
        // The first chunk proves the stream is up; until then a failure is retried like any other.
        const first = await iterator.next();
        return { iterator, first };
      },
      undefined,
      { keepSlot: true },
    );
    const hidden = this.hidden(call, { cacheHit: false, cacheKey: key, deploymentId: deployment.id, started });
    const router = this;
    async function* relay(): AsyncGenerator<ChatCompletionChunk> {
      const chunks: ChatCompletionChunk[] = [];
      let complete = false;
      try {
        for (let next = opened.first; !next.done; next = await opened.iterator.next()) {
          chunks.push(next.value);
          yield next.value;
        }
        complete = true;
      } catch (err) {
        router.emit('failure', { modelGroup: call.modelGroup, deploymentId: deployment.id, error: err as Error, latencyMs: performance.now() - started, callType: 'completion' });
        throw err;
      } finally {
        release?.();
        if (!complete) await opened.iterator.return?.().catch(() => {});
      }
      const response = assembleChunks(chunks);
      const usage = response.usage;
      router.recordUsage(deployment, usage?.total_tokens ?? estimateTokens(promptText + (response.choices[0]?.message.content ?? '')));
      router.succeeded(call, deployment.id, false, performance.now() - started, usage);
      // Stored before the iteration ends, so the next call sees it.
      if (cache && control!.write && isCompleteChat(response)) {
        await cache.set(key!, { response, deploymentId: deployment.id } satisfies Stored<PlainChatCompletion>, { ttlMs: control!.ttlMs });
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
    const params: ProviderParams = {};
    for (const name in request) if (!OWN_FIELDS.has(name)) params[name] = request[name];
    // mockResponse changes the answer, so it is part of the key though it is not sent anywhere.
    const keyParams = request.mockResponse === undefined ? params : { ...params, mockResponse: request.mockResponse };
    return { callType, modelGroup, identity: this.cacheIdentity.get(modelGroup)!, params: keyParams, request };
  }

  private namespaceFor(request: { cache?: { namespace?: string } }): string | undefined {
    return request.cache?.namespace ?? this.cache?.namespace;
  }

  private embeddingKeys(call: PreparedCall, inputs: readonly string[], namespace: string | undefined): string[] {
    return inputs.map((input) => cacheKey({ callType: 'embedding', model: call.identity, params: { ...call.params, input }, namespace }));
  }

  /** Deployment defaults under the request's own params; llmcache's fields removed. */
  private paramsFor(deployment: Deployment, call: PreparedCall): ProviderParams {
    const out: ProviderParams = {};
    for (const [name, value] of Object.entries(deployment.params)) if (!DEPLOYMENT_FIELDS.has(name)) out[name] = value;
    for (const [name, value] of Object.entries(call.params)) if (name !== 'mockResponse') out[name] = value;
    return out;
  }

  private hidden(call: PreparedCall, h: { cacheHit: boolean; cacheKey: string | undefined; deploymentId: string | undefined; started: number }): HiddenParams {
    const deployment = this.groups.get(call.modelGroup)!.find((d) => d.id === h.deploymentId);
    return {
      cacheHit: h.cacheHit,
      cacheKey: h.cacheKey,
      modelGroup: call.modelGroup,
      deploymentId: h.deploymentId,
      model: deployment?.providerModel,
      latencyMs: performance.now() - h.started,
    };
  }

  private async allCoolingDown(modelGroup: string): Promise<boolean> {
    const ids = this.groupIds.get(modelGroup)!;
    return (await this.state.coolingDown(ids, Date.now())).size === ids.length;
  }

  /** With `reserve`, the pick counts as in flight at once, so concurrent picks see each other (least-busy). */
  /** The success event, for misses and hits alike; built only when someone listens (it is on the hit path). */
  private succeeded(call: PreparedCall, deploymentId: string | undefined, cacheHit: boolean, latencyMs: number, usage: Usage | undefined): void {
    if (this.listenerCount('success') === 0) return;
    this.emit('success', { modelGroup: call.modelGroup, deploymentId, cacheHit, latencyMs, usage, callType: call.callType });
  }

  private async pick(modelGroup: string, expectedTokens: number, reserve: boolean): Promise<Deployment> {
    const deployments = this.groups.get(modelGroup);
    if (!deployments) throw invalidRequest(`model: "${modelGroup}" is not a model group of this router`);
    const ids = this.groupIds.get(modelGroup)!;
    const now = Date.now();
    // An in-process state answers synchronously: then nothing yields between reading usage and
    // reserving the pick below, so concurrent calls see each other's picks.
    const coolingResult = this.state.coolingDown(ids, now);
    const cooling = isThenable(coolingResult) ? await coolingResult : coolingResult;
    const candidates = cooling.size === 0 ? deployments : deployments.filter((d) => !cooling.has(d.id));
    if (candidates.length === 0) {
      throw new RateLimitError(`no deployment of "${modelGroup}" is available: all are cooling down`, {
        status: 429, provider: 'router', model: modelGroup, retryAfter: this.cooldownMs / 1000,
      });
    }
    const usageResult = this.strategyName === 'usage-based-routing' ? this.state.usage(ids, Math.floor(now / 60_000)) : undefined;
    const usage = isThenable(usageResult) ? await usageResult : usageResult;
    const picked = this.strategy(candidates, { inFlight: this.inFlight, latency: this.latency, usage, expectedTokens, random: Math.random });
    if (reserve) {
      this.inFlight.set(picked.id, (this.inFlight.get(picked.id) ?? 0) + 1);
      // Counted now, not when the answer arrives, so that concurrent calls cannot all slip under an rpm limit.
      this.addUsage(picked, { requests: 1, tokens: 0 });
    }
    return picked;
  }

  /**
   * Runs `attempt` on deployments of the call's group: retries (408, 429, 5xx, connection errors) with
   * backoff that honours `Retry-After`, then the fallback groups, cooling down deployments that fail too often.
   */
  private async execute<T>(
    call: PreparedCall,
    expectedTokens: number,
    attempt: (deployment: Deployment, target: ProviderTarget) => Promise<T>,
    tokensOf?: (value: T) => number | undefined,
    options: { keepSlot?: boolean } = {},
  ): Promise<{ value: T; deployment: Deployment; release: (() => void) | undefined }> {
    const request = call.request;
    const numRetries = request.numRetries === undefined ? this.numRetries : wholeNumber('numRetries', request.numRetries);
    const order = [call.modelGroup];
    let lastError: unknown;
    for (let g = 0; g < order.length; g++) {
      const group = order[g]!;
      for (let tries = 0; tries <= numRetries; tries++) {
        let deployment: Deployment;
        try {
          deployment = await this.pick(group, expectedTokens, true);
        } catch (err) {
          // Nothing to route to in this group (all cooling down, or at their limits): go to the fallbacks.
          lastError = err;
          break;
        }
        const attemptStarted = performance.now();
        try {
          const outcome = await this.attemptOn(deployment, request, attempt, options.keepSlot === true);
          const tokens = tokensOf?.(outcome.value);
          if (tokensOf) this.recordUsage(deployment, tokens ?? expectedTokens);
          return { ...outcome, deployment };
        } catch (err) {
          lastError = err;
          await this.noteFailure(deployment, err as Error, call.callType, performance.now() - attemptStarted);
          if (err instanceof ContextWindowExceededError || !isRetryable(err) || tries === numRetries) break;
          // A retry needs somewhere to go: once every deployment of the group cools down, fall back now.
          if (await this.allCoolingDown(group)) break;
          const delayMs = this.backoffMs(tries, err as ProviderError);
          this.emit('retry', { modelGroup: group, deploymentId: deployment.id, attempt: tries + 1, delayMs, error: err as Error });
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      }
      if (g === 0) order.push(...this.fallbacksFor(group, lastError).filter((name) => !order.includes(name)));
      const next = order[g + 1];
      if (next) this.emit('fallback', { from: group, to: next, error: lastError as Error });
    }
    throw lastError;
  }

  private async attemptOn<T>(
    deployment: Deployment,
    request: Record<string, unknown>,
    attempt: (deployment: Deployment, target: ProviderTarget) => Promise<T>,
    keepSlot: boolean,
  ): Promise<{ value: T; release: (() => void) | undefined }> {
    const release = await takeSlot(deployment);
    const timeoutSeconds = Math.min(
      typeof request.timeout === 'number' ? request.timeout : Infinity,
      deployment.params.timeout ?? Infinity,
      this.timeoutSeconds,
    );
    const target: ProviderTarget = {
      model: deployment.providerModel,
      apiKey: deployment.params.apiKey,
      apiBase: deployment.params.apiBase,
      apiVersion: deployment.params.apiVersion,
      signal: AbortSignal.timeout(Math.round(timeoutSeconds * 1000)),
    };
    // Ends the call's claim on the deployment: its in-flight count (taken by `pick`) and its slot.
    const finish = () => {
      this.inFlight.set(deployment.id, (this.inFlight.get(deployment.id) ?? 1) - 1);
      release();
    };
    const started = performance.now();
    let ok = false;
    try {
      const value = await attempt(deployment, target);
      ok = true;
      this.latency.record(deployment.id, performance.now() - started);
      return { value, release: keepSlot ? finish : undefined };
    } finally {
      if (!ok || !keepSlot) finish();
    }
  }

  /** Tokens an answer used, for usage-based routing (its request was counted when it was picked). */
  private recordUsage(deployment: Deployment, tokens: number): void {
    this.addUsage(deployment, { requests: 0, tokens });
  }

  private addUsage(deployment: Deployment, usage: MinuteUsage): void {
    void Promise.resolve(this.state.addUsage(deployment.id, Math.floor(Date.now() / 60_000), usage)).catch((err: unknown) => this.emit('error', err as Error));
  }

  private async noteFailure(deployment: Deployment, error: Error, callType: string, latencyMs: number): Promise<void> {
    this.emit('failure', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, error, latencyMs, callType });
    if (!countsTowardCooldown(error)) return;
    try {
      const now = Date.now();
      const failures = await this.state.recordFailure(deployment.id, now, FAILURE_WINDOW_MS);
      // One failure never cools down a group's only deployment: there would be nothing left to route to.
      const onlyOne = this.groups.get(deployment.modelGroup)!.length === 1;
      const allowed = onlyOne ? Math.max(this.allowedFails, 1) : this.allowedFails;
      if (failures > allowed && this.cooldownMs > 0) {
        const until = now + this.cooldownMs;
        await this.state.startCooldown(deployment.id, until);
        this.emit('cooldown', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, until, failures, error });
      }
    } catch (err) {
      this.emit('error', err as Error);
    }
  }

  private backoffMs(tries: number, error: ProviderError | undefined): number {
    const fromProvider = error?.retryAfter;
    // A provider's Retry-After wins, capped so that one answer cannot park a call for long.
    if (fromProvider !== undefined) return Math.min(fromProvider, 60) * 1000;
    return this.retryAfterSeconds * 1000 * 2 ** tries;
  }

  private fallbacksFor(group: string, error: unknown): string[] {
    if (error instanceof ContextWindowExceededError) return [...(this.contextWindowFallbacks.get(group) ?? this.contextWindowFallbacks.get('*') ?? [])];
    // Another group cannot fix a bad request.
    if (error instanceof BadRequestError) return [];
    return [...(this.fallbacks.get(group) ?? this.fallbacks.get('*') ?? [])];
  }

  private fallbackMap(option: string, list: RouterOptions['fallbacks']): Map<string, string[]> {
    const map = new Map<string, string[]>();
    if (list === undefined) return map;
    if (!Array.isArray(list)) throw new RouterConfigError(option, 'must be an array like [{ "gpt-4": ["gpt-3.5"] }]');
    list.forEach((entry, i) => {
      if (typeof entry !== 'object' || entry === null) throw new RouterConfigError(`${option}[${i}]`, 'must be an object of group → fallback groups');
      for (const [from, to] of Object.entries(entry)) {
        if (from !== '*' && !this.groups.has(from)) throw new RouterConfigError(`${option}[${i}]`, `"${from}" is not a model group`);
        if (!Array.isArray(to) || to.some((name) => typeof name !== 'string' || !this.groups.has(name))) {
          throw new RouterConfigError(`${option}[${i}].${from}`, `must list model groups of this router, got ${JSON.stringify(to)}`);
        }
        map.set(from, to);
      }
    });
    return map;
  }
}

async function* replay(chunks: readonly ChatCompletionChunk[]): AsyncGenerator<ChatCompletionChunk> {
  for (const chunk of chunks) yield chunk;
}

function makeStream(source: AsyncIterable<ChatCompletionChunk>, hidden: HiddenParams): CompletionStream {
  const stream = { [Symbol.asyncIterator]: () => source[Symbol.asyncIterator]() };
  return withHiddenParams(stream, hidden) as CompletionStream;
}

/** A request llmcache refuses before any call: a 400, like the provider would answer. */
function invalidRequest(message: string): BadRequestError {
  return new BadRequestError(message, { status: 400, provider: 'llmcache' });
}

function mockResponseFor(deployment: Deployment, request: Record<string, unknown>): string | undefined {
  return (request.mockResponse ?? deployment.params.mockResponse) as string | undefined;
}

function wholeNumber(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new RouterConfigError(option, `must be a whole number, 0 or more, got ${JSON.stringify(value)}`);
  return value;
}

function positive(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RouterConfigError(option, `must be a positive number of seconds, got ${JSON.stringify(value)}`);
  return value;
}

function nonNegative(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RouterConfigError(option, `must be a number, 0 or more, got ${JSON.stringify(value)}`);
  return value;
}
