import { MAX_TIMER_MS } from '@llmcache/core';
import { describeValue, isThenable, sleep } from '@llmcache/core/internal';
import type { EventEmitter } from 'eventemitter3';
import { takeSlot, type Deployment } from './deployments';
import {
  BadRequestError,
  ContentPolicyViolationError,
  ContextWindowExceededError,
  countsTowardCooldown,
  invalidRequest,
  isRetryable,
  ProviderError,
  RateLimitError,
  RouterConfigError,
  TimeoutError,
} from './errors';
import type { CallSettings } from './call-settings';
import type { RouterLog } from './logger';
import { ClientPool, type ProviderTarget } from './providers';
import { MemoryRouterState, type MinuteUsage, type RouterState } from '@llmcache/core';
import { LatencyTracker, STRATEGIES, type Strategy } from './strategies';
import type { RouterEvents, RouterOptions } from './types';
import { isPattern, type WildcardRoutes } from './wildcards';

/** Failures within this window count toward a cooldown. */
const FAILURE_WINDOW_MS = 60_000;

/** A call's hold on a deployment past its first answer, for streams. */
interface Claim {
  /** Ends the hold: in-flight count, `maxParallelRequests` slot, timer. */
  release: (() => void) | undefined;
  /** Restarts the timeout; called for each chunk. */
  touch: (() => void) | undefined;
  /** Whether the timeout has run out (the claim was then released). */
  expired: (() => boolean) | undefined;
}

/** What the dispatcher needs of a call. */
export interface DispatchCall {
  modelGroup: string;
  callType: string;
  settings: CallSettings;
  /** Deployments to call instead of the picked ones, by id: a wildcard group's, made concrete for the requested model. */
  concrete?: ReadonlyMap<string, Deployment> | undefined;
  /** The model the request named (aliases resolved): what a fallback to a wildcard group is made concrete for. @default modelGroup */
  requestedModel?: string;
}

export interface ExecuteOptions {
  /** A stream: its slot is kept past the first chunk, and its timeout is the stream timeout. */
  stream?: boolean;
  /** What aborts the work: a shared flight's signal, else the call's own. @default the call's signal */
  signal?: AbortSignal | undefined;
}

/**
 * Routing and resilience: picks deployments with the routing strategy, and runs attempts with
 * timeouts, retries, fallbacks, cooldowns and `maxParallelRequests`, keeping the shared state
 * (`RouterState`) and this process's load and latency.
 */
export class Dispatcher {
  private readonly groupIds: ReadonlyMap<string, readonly string[]>;
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
  private readonly contentPolicyFallbacks: ReadonlyMap<string, readonly string[]>;
  private readonly inFlight = new Map<string, number>();
  private readonly latency = new LatencyTracker();
  /** Failures the caller brought on (its abort, its shorter timeout, a full local queue): never a deployment's fault. */
  private readonly callersFault = new WeakSet<object>();
  /** Aborts every attempt, slot wait and retry sleep when the router closes. */
  private readonly closing = new AbortController();
  /** Ends every claim held now, so that close() can release them. */
  private readonly claims = new Set<() => void>();
  /** The providers' SDK clients for this router's calls, released by close(). */
  private readonly clients = new ClientPool();

  constructor(
    private readonly groups: ReadonlyMap<string, readonly Deployment[]>,
    options: RouterOptions,
    private readonly events: EventEmitter<RouterEvents>,
    private readonly log: RouterLog,
    private readonly wildcards: WildcardRoutes,
  ) {
    this.groupIds = new Map([...groups].map(([name, list]) => [name, list.map((d) => d.id)]));
    this.strategyName = options.routingStrategy ?? 'simple-shuffle';
    // Own names only: 'constructor' is not a strategy.
    const strategy = Object.hasOwn(STRATEGIES, this.strategyName) ? STRATEGIES[this.strategyName] : undefined;
    if (!strategy) throw new RouterConfigError('routingStrategy', `must be one of ${Object.keys(STRATEGIES).join(', ')}, got ${describeValue(options.routingStrategy)}`);
    this.strategy = strategy;
    this.state = options.state ?? new MemoryRouterState();
    this.numRetries = wholeNumber('numRetries', options.numRetries ?? 2);
    this.timeoutSeconds = timerSeconds('timeout', options.timeout ?? 600);
    this.allowedFails = wholeNumber('allowedFails', options.allowedFails ?? 3);
    this.cooldownMs = timerSeconds('cooldownTime', options.cooldownTime ?? 5, true) * 1000;
    this.retryAfterSeconds = timerSeconds('retryAfter', options.retryAfter ?? 0.5, true);
    this.fallbacks = this.fallbackMap('fallbacks', options.fallbacks);
    this.contextWindowFallbacks = this.fallbackMap('contextWindowFallbacks', options.contextWindowFallbacks);
    this.contentPolicyFallbacks = this.fallbackMap('contentPolicyFallbacks', options.contentPolicyFallbacks);
  }

  private async allCoolingDown(modelGroup: string): Promise<boolean> {
    const ids = this.groupIds.get(modelGroup)!;
    return (await this.state.coolingDown(ids, Date.now())).size === ids.length;
  }

  /** With `reserve`, the pick counts as in flight at once, so concurrent picks see each other (least-busy). */
  async pick(modelGroup: string, expectedTokens: number, reserve: boolean): Promise<Deployment> {
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
   * The request's own `timeout` bounds the whole call: no retry or fallback starts after it has run out.
   */
  async execute<T>(
    call: DispatchCall,
    expectedTokens: number,
    attempt: (deployment: Deployment, target: ProviderTarget) => Promise<T>,
    tokensOf?: (value: T) => number | undefined,
    options: ExecuteOptions = {},
  ): Promise<{ value: T; deployment: Deployment } & Claim> {
    const { settings } = call;
    const own = options.signal ?? settings.signal;
    const signal = own ? AbortSignal.any([this.closing.signal, own]) : this.closing.signal;
    const deadline = settings.timeoutMs === undefined ? Infinity : Date.now() + settings.timeoutMs;
    const order = [call.modelGroup];
    let lastError: unknown;
    for (let g = 0; g < order.length; g++) {
      let group = order[g]!;
      let concrete = call.concrete;
      if (g > 0) {
        // A fallback to a wildcard group (or a name one routes) is made concrete for the requested model.
        try {
          const target = this.wildcards.fallbackTarget(group, call.requestedModel ?? call.modelGroup);
          group = target?.group ?? group;
          concrete = target?.concrete;
        } catch (err) {
          lastError ??= err;
          continue;
        }
      }
      // Every path through an attempt returns or breaks: the retry budget is the picked deployment's.
      for (let tries = 0; ; tries++) {
        signal.throwIfAborted();
        if (Date.now() >= deadline) throw lastError ?? this.outOfTime(call, settings.timeoutMs!);
        let deployment: Deployment;
        try {
          deployment = await this.pick(group, expectedTokens, true);
          deployment = concrete?.get(deployment.id) ?? deployment;
          this.log.debug('routed', { modelGroup: group, deploymentId: deployment.id, model: deployment.providerModel, strategy: this.strategyName, attempt: tries + 1 });
        } catch (err) {
          // Nothing to route to in this group (all cooling down, or at their limits): go to the fallbacks,
          // keeping the error a provider gave, if one did, as the one to report.
          lastError ??= err;
          break;
        }
        const attemptStarted = performance.now();
        try {
          const outcome = await this.attemptOn(deployment, settings, attempt, { stream: options.stream === true, signal, deadline });
          const tokens = tokensOf?.(outcome.value);
          if (tokensOf) this.recordUsage(deployment, tokens ?? expectedTokens);
          return { ...outcome, deployment };
        } catch (err) {
          // The caller gave up (or the router closed): no retry, no fallback, and not the deployment's fault.
          if (signal.aborted) throw signal.reason;
          lastError = err;
          await this.noteFailure(deployment, err as Error, call.callType, performance.now() - attemptStarted);
          // The call's own numRetries, else the deployment's (LiteLLM's per-deployment max_retries), else the router's.
          const numRetries = settings.numRetries ?? deployment.params.numRetries ?? this.numRetries;
          if (err instanceof ContextWindowExceededError || !isRetryable(err) || tries >= numRetries) break;
          // A retry needs somewhere to go: once every deployment of the group cools down, fall back now.
          if (await this.allCoolingDown(group)) break;
          const delayMs = this.backoffMs(tries, err as ProviderError);
          // A wait that would outlast the call's timeout is not worth making: try the fallbacks now.
          if (Date.now() + delayMs >= deadline) break;
          this.events.emit('retry', { modelGroup: group, deploymentId: deployment.id, attempt: tries + 1, delayMs, error: err as Error });
          this.log.info('retry', { modelGroup: group, deploymentId: deployment.id, attempt: tries + 1, delayMs, error: err as Error });
          await sleep(delayMs, signal);
        }
      }
      if (g === 0) order.push(...this.fallbacksFor(call.modelGroup, lastError).filter((name) => !order.includes(name)));
      const next = order[g + 1];
      if (next) this.events.emit('fallback', { from: order[g]!, to: next, error: lastError as Error });
      if (next) this.log.info('fallback', { from: order[g]!, to: next, error: lastError as Error });
    }
    throw lastError;
  }

  /**
   * One attempt on one deployment, within its timeout, which also bounds the wait for a
   * `maxParallelRequests` slot. A stream keeps its claim past the first chunk: `touch` restarts the
   * timeout after each chunk, so it bounds the gap between chunks, and `release` ends the claim. A stream
   * nobody reads is aborted and released when the timeout runs out.
   */
  private async attemptOn<T>(
    deployment: Deployment,
    settings: CallSettings,
    attempt: (deployment: Deployment, target: ProviderTarget) => Promise<T>,
    options: { stream: boolean; signal: AbortSignal; deadline: number },
  ): Promise<{ value: T } & Claim> {
    const { stream, signal } = options;
    const params = deployment.params;
    const configuredSeconds = Math.min((stream ? (params.streamTimeout ?? params.timeout) : params.timeout) ?? Infinity, this.timeoutSeconds);
    const configuredMs = configuredSeconds * 1000;
    const requestedMs = (stream ? (settings.streamTimeoutMs ?? settings.timeoutMs) : settings.timeoutMs) ?? Infinity;
    const gapMs = Math.min(configuredMs, requestedMs);
    const timeoutMs = Math.min(gapMs, options.deadline - Date.now());
    // The caller's own shorter limit running out says nothing about the deployment.
    const callersLimit = timeoutMs < configuredMs;
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    let releaseSlot: (() => void) | undefined;
    let finished = false;
    // Ends the call's claim on the deployment: its in-flight count (taken by `pick`), slot and timer.
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      this.claims.delete(finish);
      this.inFlight.set(deployment.id, (this.inFlight.get(deployment.id) ?? 1) - 1);
      releaseSlot?.();
    };
    this.claims.add(finish);
    let ok = false;
    let timedOut = false;
    const onTimeout = () => {
      timedOut = true;
      controller.abort(new DOMException(`no answer within ${Math.round(timeoutMs) / 1000} s`, 'TimeoutError'));
      if (ok) finish(); // a stream past its first chunk that nobody reads any more
    };
    let timer = setTimeout(onTimeout, timeoutMs);
    const touch = () => {
      if (finished) return;
      clearTimeout(timer);
      timer = setTimeout(onTimeout, gapMs);
    };
    const started = performance.now();
    try {
      releaseSlot = await this.takeSlot(deployment, controller.signal, timeoutMs);
      const target: ProviderTarget = {
        model: deployment.providerModel,
        apiKey: params.apiKey,
        apiBase: params.apiBase,
        apiVersion: params.apiVersion,
        azureAdToken: params.azureAdToken,
        headers: { ...deployment.headers, ...settings.headers },
        signal: controller.signal,
        clients: this.clients,
      };
      const value = await attempt(deployment, target);
      ok = true;
      this.latency.record(deployment.id, performance.now() - started);
      return stream ? { value, release: finish, touch, expired: () => timedOut } : { value, release: undefined, touch: undefined, expired: undefined };
    } catch (err) {
      if (signal.aborted || (callersLimit && err instanceof TimeoutError)) this.callersFault.add(err as object);
      if (!this.callersFault.has(err as object)) this.latency.recordFailure(deployment.id, performance.now() - started);
      throw err;
    } finally {
      if (!ok || !stream) finish();
    }
  }

  /** A slot of the deployment's `maxParallelRequests`; waiting for one past the timeout is a 408 of our own, not the deployment's. */
  private async takeSlot(deployment: Deployment, signal: AbortSignal, timeoutMs: number): Promise<() => void> {
    try {
      return await takeSlot(deployment, signal);
    } catch (err) {
      if ((signal.reason as { name?: unknown } | undefined)?.name !== 'TimeoutError') throw err;
      const error = new TimeoutError(`all ${deployment.params.maxParallelRequests} maxParallelRequests slots stayed busy for ${Math.round(timeoutMs) / 1000} s`, {
        status: 408, provider: deployment.provider.name, model: deployment.providerModel, cause: err,
      });
      this.callersFault.add(error);
      throw error;
    }
  }

  private outOfTime(call: DispatchCall, timeoutMs: number): TimeoutError {
    return new TimeoutError(`the call's timeout of ${timeoutMs / 1000} s ran out`, { status: 408, provider: 'llmcache', model: call.modelGroup });
  }

  /** Ends every claim, slot wait and retry sleep (the calls concerned reject), and releases the providers' SDK clients. */
  close(reason: Error): void {
    this.closing.abort(reason);
    for (const finish of [...this.claims]) finish();
    this.clients.close();
  }

  /** Tokens an answer used, for usage-based routing (its request was counted when it was picked). */
  recordUsage(deployment: Deployment, tokens: number): void {
    this.addUsage(deployment, { requests: 0, tokens });
  }

  private addUsage(deployment: Deployment, usage: MinuteUsage): void {
    void Promise.resolve(this.state.addUsage(deployment.id, Math.floor(Date.now() / 60_000), usage)).catch((err: unknown) => this.events.emit('error', err as Error));
  }

  async noteFailure(deployment: Deployment, error: Error, callType: string, latencyMs: number): Promise<void> {
    this.events.emit('failure', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, error, latencyMs, callType });
    this.log.warn('failure', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, callType, latencyMs: Math.round(latencyMs), error });
    if (this.callersFault.has(error)) return;
    // A group's only deployment is never cooled down: there would be nothing left to route to (as LiteLLM).
    if (!countsTowardCooldown(error) || this.groups.get(deployment.modelGroup)!.length === 1) return;
    try {
      const now = Date.now();
      const failures = await this.state.recordFailure(deployment.id, now, FAILURE_WINDOW_MS);
      if (failures > this.allowedFails && this.cooldownMs > 0) {
        const until = now + this.cooldownMs;
        await this.state.startCooldown(deployment.id, until);
        this.events.emit('cooldown', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, until, failures, error });
        this.log.warn('cooldown', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, until: new Date(until).toISOString(), failures, error });
      }
    } catch (err) {
      this.events.emit('error', err as Error);
    }
  }

  private backoffMs(tries: number, error: ProviderError | undefined): number {
    const fromProvider = error?.retryAfter;
    // A provider's Retry-After wins, capped so that one answer cannot park a call for long.
    if (fromProvider !== undefined) return Math.min(fromProvider, 60) * 1000;
    return Math.min(this.retryAfterSeconds * 2 ** tries, 60) * 1000;
  }

  private fallbacksFor(group: string, error: unknown): string[] {
    // Without a context-window (or content-policy) fallback for the group, the ordinary fallbacks apply (as LiteLLM).
    const special = error instanceof ContextWindowExceededError ? this.contextWindowFallbacks
      : error instanceof ContentPolicyViolationError ? this.contentPolicyFallbacks
      : undefined;
    const targets = special?.get(group) ?? special?.get('*');
    if (targets) return [...targets];
    // Another group cannot fix a bad request (other than one this group's context window or content policy refused).
    if (error instanceof BadRequestError && !special) return [];
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
        // A target may also be a model a wildcard group routes (`azure/gpt-4o` through `azure/*`), as in LiteLLM.
        const routable = (name: unknown) => typeof name === 'string' && (this.groups.has(name) || (!isPattern(name) && this.wildcards.groupFor(name) !== undefined));
        if (!Array.isArray(to) || !to.every(routable)) {
          throw new RouterConfigError(`${option}[${i}].${from}`, `must list model groups of this router (or models its wildcard groups route), got ${describeValue(to)}`);
        }
        map.set(from, to);
      }
    });
    return map;
  }
}

function wholeNumber(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new RouterConfigError(option, `must be a whole number, 0 or more, got ${describeValue(value)}`);
  return value;
}

/** Seconds that feed a timer, so at most MAX_TIMER_MS: past it, Node fires the timer after 1 ms. */
function timerSeconds(option: string, value: unknown, zeroAllowed = false): number {
  if (typeof value !== 'number' || !(zeroAllowed ? value >= 0 : value > 0) || !(value * 1000 <= MAX_TIMER_MS)) {
    const range = `${zeroAllowed ? '0' : 'over 0'} to ${MAX_TIMER_MS / 1000}`;
    throw new RouterConfigError(option, `must be a number of seconds, ${range} (the longest a timer can wait), got ${describeValue(value)}`);
  }
  return value;
}
