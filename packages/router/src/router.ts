import { existsSync } from 'node:fs';
import { Cache, isCache, type RouterState } from '@llmcache/core';
import { EventEmitter } from 'eventemitter3';
import { completion } from './calls/chat';
import { CallContext, closedError } from './calls/context';
import { embedding } from './calls/embedding';
import { withKeyParam } from './calls/prepared-call';
import { audioIdentity, embeddingInputs } from './calls/request';
import { supplyEmbedder } from './calls/semantic-embedder';
import { textCompletion } from './calls/text';
import { transcription } from './calls/transcription';
import { configPathOf, looksLikeConfigPath, readLiteLLMConfig, translateLiteLLMConfig } from './config';
import { Dispatcher } from './dispatch/dispatcher';
import { ModelGroupAliases } from './dispatch/model-group-alias';
import { buildModelGroups } from './dispatch/model-groups';
import { isShared, redisRouterState, reportSharedState } from './dispatch/redis-state';
import { WildcardRoutes } from './dispatch/wildcards';
import { invalidRequest, RouterConfigError } from './errors';
import { getCache } from './global';
import { RouterLog } from './logger';
import type {
  Base64EmbeddingResponse,
  ChatCompletion,
  CompletionRequest,
  CompletionRequestNonStreaming,
  CompletionRequestStreaming,
  CompletionStream,
  EmbeddingRequest,
  EmbeddingResponse,
  IgnoredConfigKey,
  RouterEvents,
  RouterOptions,
  TextCompletion,
  TextCompletionRequest,
  TranscriptionRequest,
  TranscriptionResponse,
} from './types';

// The Router's face: its options, its public methods and close(). A call's path is in calls/ (chat.ts,
// text.ts, embedding.ts, transcription.ts, each on lookup.ts), its routing and resilience in dispatch/.

const ROUTER_OPTIONS = new Set<keyof RouterOptions>([
  'modelList',
  'cachingGroups',
  'cache',
  'routingStrategy',
  'numRetries',
  'timeout',
  'fallbacks',
  'contextWindowFallbacks',
  'contentPolicyFallbacks',
  'modelGroupAlias',
  'allowedFails',
  'cooldownTime',
  'retryAfter',
  'state',
  'redis',
  'dropParams',
  'logger',
]);

/** Makes the routers a semantic cache's top-level embedding calls go through. */
const makeRouter = (options: RouterOptions) => new Router(options);

/**
 * Routes calls across the deployments of each model group, with retries, fallbacks and cooldowns, and
 * serves repeated calls from the cache. Model groups in one caching group share cache entries.
 */
export class Router extends EventEmitter<RouterEvents> {
  /** Paths of the config keys `fromConfig` found and ignored, as in the file (see `ignoredConfig` for why). */
  unsupportedConfig: readonly string[] = [];
  /** The config keys `fromConfig` found and ignored, each with why; also emitted once as the `config` event. */
  ignoredConfig: readonly IgnoredConfigKey[] = [];
  private readonly groups: ReadonlyMap<string, unknown>;
  private readonly aliases: ModelGroupAliases;
  private readonly wildcards: WildcardRoutes;
  private readonly ownCache: Cache | undefined;
  /** The shared state the router made from its `redis` option, closed with it. */
  private readonly ownState: RouterState | undefined;
  private readonly dispatcher: Dispatcher;
  /** What every call's path shares: see calls/context.ts. */
  private readonly calls: CallContext;
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
    const wildcards = new WildcardRoutes(groups);
    this.wildcards = wildcards;
    this.aliases = new ModelGroupAliases(options.modelGroupAlias, groups, wildcards);
    const deploymentsById = new Map([...groups.values()].flat().map((d) => [d.id, d]));
    this.log = new RouterLog(
      options.logger,
      [...deploymentsById.values()].flatMap((d) => [d.params, d.headers]),
    );
    if (options.cache !== undefined && !isCache(options.cache)) throw new RouterConfigError('cache', 'must be a Cache from @llmcache/core');
    this.ownCache = options.cache;
    this.ownCache?.on('error', this.logCacheError);
    supplyEmbedder(this.ownCache, { router: this, makeRouter });
    if (options.redis !== undefined && options.state !== undefined) throw new RouterConfigError('redis', 'give either redis or state, not both');
    this.ownState = options.redis === undefined ? undefined : redisRouterState(options.redis);
    if (this.ownState) reportSharedState(this.ownState, this.log, (error) => this.emit('error', error));
    try {
      this.dispatcher = new Dispatcher(groups, options.redis === undefined ? options : { ...options, state: this.ownState }, this, this.log, wildcards);
    } catch (err) {
      this.ownCache?.off('error', this.logCacheError);
      void this.ownState?.close?.();
      throw err;
    }
    this.calls = new CallContext({
      router: this,
      makeRouter,
      dispatcher: this.dispatcher,
      log: this.log,
      ownCache: this.ownCache,
      deploymentsById,
      cacheIdentity,
      wildcards,
      aliases: this.aliases,
    });
  }

  /**
   * A router from a LiteLLM proxy `config.yaml` (a path, YAML text or the parsed object). Every error names
   * the key as the file has it (`model_list[0].litellm_params.api_base`). What the config holds that llmcache
   * ignores is in `ignoredConfig` (with why) and `unsupportedConfig`, and is emitted once as the `config` event
   * on the next turn of the event loop, so that listeners attached right after this call receive it.
   */
  static fromConfig(config: string | Record<string, unknown>, env: Record<string, string | undefined> = process.env): Router {
    const isPath = typeof config === 'string' && !/[\n\r]/.test(config) && (existsSync(config) || looksLikeConfigPath(config));
    const translation = isPath ? readLiteLLMConfig(config, env) : translateLiteLLMConfig(config, env);
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
    const call = this.calls.prepare(callType, request);
    const namespace = this.calls.namespaceFor(request);
    if (callType === 'transcription') {
      const file = (request as TranscriptionRequest).file;
      if (!(file instanceof Uint8Array)) throw invalidRequest('file: cacheKey() needs the audio as a Buffer (a Blob can only be read asynchronously)');
      return this.calls.keyFor(withKeyParam(call, 'file', audioIdentity(file)), call.identity, namespace);
    }
    if (callType !== 'embedding') return this.calls.keyFor(call, call.identity, namespace);
    const { inputs } = embeddingInputs((request as EmbeddingRequest).input);
    if (inputs.length !== 1) throw invalidRequest('input: an embedding request with several inputs has one cache key per input; ask for each');
    return this.calls.embeddingKeys(call, inputs, namespace)[0]!;
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
  completion(request: CompletionRequest): Promise<ChatCompletion | CompletionStream> {
    return completion(this.calls, request);
  }

  /** A text completion; it does not stream (`stream: true` is a 400). */
  textCompletion(request: TextCompletionRequest): Promise<TextCompletion> {
    return textCompletion(this.calls, request);
  }

  /**
   * Each input (a text or a list of token ids) is its own cache entry; only the missing ones go upstream,
   * in one call. An input that an identical concurrent call is already embedding is waited for, not asked
   * again. With `encoding_format: 'base64'` each vector is a base64 string.
   */
  embedding(request: EmbeddingRequest & { encoding_format: 'base64' }): Promise<Base64EmbeddingResponse>;
  embedding(request: EmbeddingRequest & { encoding_format?: 'float' | undefined }): Promise<EmbeddingResponse>;
  embedding(request: EmbeddingRequest): Promise<EmbeddingResponse | Base64EmbeddingResponse>;
  embedding(request: EmbeddingRequest): Promise<EmbeddingResponse | Base64EmbeddingResponse> {
    return embedding(this.calls, request);
  }

  /** Keyed by the sha256 of the audio bytes, never the file name. */
  transcription(request: TranscriptionRequest): Promise<TranscriptionResponse> {
    return transcription(this.calls, request);
  }

  /** Whether `model` names a group of this router (directly, by alias or by a wildcard). */
  servesModel(model: string): boolean {
    // Called while the router is being built (a semantic cache's embedder): it needs no more than the groups.
    try {
      this.wildcards.route(this.aliases.resolve(model));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Ends what the router holds: every call in flight is aborted and rejects, every `maxParallelRequests`
   * slot and timer is released, and the router's own cache (not a global one from `setCache()`) is closed.
   * Later calls throw.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.calls.close();
    this.dispatcher.close(closedError());
    this.ownCache?.off('error', this.logCacheError);
    await Promise.all([this.ownCache?.close(), this.ownState?.close?.()]);
  }
}
