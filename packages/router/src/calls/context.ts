import { cacheKey, type Cache } from '@llmcache/core';
import { cacheKeyFromCanonicalParams } from '@llmcache/core/internal';
import type { EventEmitter } from 'eventemitter3';
import type { Deployment } from '../dispatch/deployment';
import type { Dispatcher } from '../dispatch/dispatcher';
import type { ModelGroupAliases } from '../dispatch/model-group-alias';
import { isPattern, type WildcardRoutes } from '../dispatch/wildcards';
import { invalidRequest, RouterConfigError } from '../errors';
import { getCache } from '../global';
import type { RouterLog } from '../logger';
import type { ProviderParams } from '../providers';
import type { CallOptions, HiddenParams, RouterEvents, RouterOptions, Usage } from '../types';
import { canonicalParams, DEFAULT_CALL_SETTINGS, readCallSettings } from './call-settings';
import { withoutRefusedParams } from './drop-params';
import { BatchFlights } from './batch-flights';
import type { PreparedCall } from './prepared-call';
import { mergeDeploymentParams, providerParamsOf, withExtraBody, type EmbeddingInput } from './request';
import type { EmbeddingRouter } from './semantic-embedder';
import type { LiveStream } from './shared-stream';

/** What a call's path needs of its router: the router itself as events and embedder, and how it routes. */
export interface CallContextParts {
  /** The router: where events go, and the embedder of a semantic cache. */
  router: EventEmitter<RouterEvents> & EmbeddingRouter;
  /** Makes a router, for a semantic cache's top-level embedding calls. */
  makeRouter: (options: RouterOptions) => EmbeddingRouter;
  dispatcher: Dispatcher;
  log: RouterLog;
  /** The router's own cache, if it was given one. */
  ownCache: Cache | undefined;
  deploymentsById: ReadonlyMap<string, Deployment>;
  /** Model group → the identity it has in cache keys. */
  cacheIdentity: ReadonlyMap<string, string>;
  wildcards: WildcardRoutes;
  aliases: ModelGroupAliases;
}

/**
 * Everything one router's calls share: how a request becomes a `PreparedCall`, its cache keys and
 * identities, the provider params of each deployment, and how a call ends (`_hiddenParams`, debug line,
 * success event). Each call type's path (calls/chat.ts, text.ts, embedding.ts, transcription.ts) takes it.
 */
export class CallContext {
  readonly router: EventEmitter<RouterEvents> & EmbeddingRouter;
  readonly makeRouter: (options: RouterOptions) => EmbeddingRouter;
  readonly dispatcher: Dispatcher;
  readonly log: RouterLog;
  readonly ownCache: Cache | undefined;
  /** Streams past their first chunk, by flight key: identical calls read them instead of calling again. */
  readonly liveStreams = new Map<string, LiveStream>();
  /** Flights per entry of calls of many entries (embedding inputs). */
  readonly batchFlights = new BatchFlights();
  private readonly deploymentsById: ReadonlyMap<string, Deployment>;
  private readonly cacheIdentity: ReadonlyMap<string, string>;
  private readonly wildcards: WildcardRoutes;
  private readonly aliases: ModelGroupAliases;
  private closed = false;

  constructor(parts: CallContextParts) {
    this.router = parts.router;
    this.makeRouter = parts.makeRouter;
    this.dispatcher = parts.dispatcher;
    this.log = parts.log;
    this.ownCache = parts.ownCache;
    this.deploymentsById = parts.deploymentsById;
    this.cacheIdentity = parts.cacheIdentity;
    this.wildcards = parts.wildcards;
    this.aliases = parts.aliases;
  }

  /** The cache calls use now: the router's own, else the global one from `setCache()`. */
  get cache(): Cache | undefined {
    return this.ownCache ?? getCache();
  }

  prepare(callType: PreparedCall['callType'], options: CallOptions): PreparedCall {
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
    return {
      callType,
      modelGroup,
      identity,
      concrete: wildcard?.concrete,
      requestedModel: requestedModel as string,
      params,
      keyParams,
      keyJson,
      request,
      settings,
      started,
    };
  }

  /** Later calls throw: `close()` was called. */
  close(): void {
    this.closed = true;
    this.liveStreams.clear();
  }

  assertOpen(): void {
    if (this.closed) throw closedError();
  }

  /** A model group's identity in cache keys: its caching group's, else its own name. */
  identityOf(modelGroup: string): string {
    return this.cacheIdentity.get(modelGroup) ?? modelGroup;
  }

  /**
   * The identity of an answer from `modelGroup`: the call's own when its group answered (a wildcard call's is
   * its model); undefined for a wildcard group that answered as a fallback, whose model was made for this
   * request alone, so that answer is not stored.
   */
  answeredIdentity(call: PreparedCall, modelGroup: string): string | undefined {
    if (modelGroup === call.modelGroup) return call.identity;
    return isPattern(modelGroup) ? undefined : this.identityOf(modelGroup);
  }

  keyFor(call: PreparedCall, identity: string, namespace: string | undefined): string {
    return cacheKeyFromCanonicalParams(call.callType, identity, call.keyJson, namespace);
  }

  namespaceFor(request: { cache?: { namespace?: string } }): string | undefined {
    return request.cache?.namespace ?? this.cache?.namespace;
  }

  /** One key per embedding input: each input is its own entry. */
  embeddingKeys(call: PreparedCall, inputs: readonly EmbeddingInput[], namespace: string | undefined, identity = call.identity): string[] {
    return inputs.map((input) => cacheKey({ callType: 'embedding', model: identity, params: { ...call.keyParams, input }, namespace }));
  }

  paramsFor(deployment: Deployment, call: PreparedCall): ProviderParams {
    return withExtraBody(withoutRefusedParams(mergeDeploymentParams(deployment.params, call.params), deployment, call.settings.dropParams));
  }

  hidden(h: { modelGroup: string; cacheHit: boolean; cacheKey: string | undefined; deploymentId: string | undefined; call: PreparedCall }): HiddenParams {
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
  logLookup(call: PreparedCall, key: string | readonly string[] | undefined, hit: boolean, sharedFlight: boolean, extra?: Record<string, unknown>): void {
    if (key === undefined || !this.log.logsDebug) return;
    this.log.debug(hit ? 'cache hit' : 'cache miss', {
      [typeof key === 'string' ? 'key' : 'keys']: key,
      callType: call.callType,
      modelGroup: call.modelGroup,
      hit,
      sharedFlight,
      ...extra,
    });
  }

  /** The success event, for misses and hits alike; built only when someone listens (it is on the hit path). */
  succeeded(call: PreparedCall, modelGroup: string, deploymentId: string | undefined, cacheHit: boolean, latencyMs: number, usage: Usage | undefined): void {
    if (this.router.listenerCount('success') === 0) return;
    this.router.emit('success', { modelGroup, deploymentId, cacheHit, latencyMs, usage, callType: call.callType });
  }
}

export function closedError(): RouterConfigError {
  return new RouterConfigError('router', 'is closed: close() was called; create a new Router');
}
