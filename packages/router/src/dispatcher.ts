import { describeValue, isThenable, MAX_TIMER_MS } from '@llmcache/core';
import type { EventEmitter } from 'eventemitter3';
import { takeSlot, type Deployment } from './deployments';
import {
  BadRequestError,
  ContextWindowExceededError,
  countsTowardCooldown,
  invalidRequest,
  isRetryable,
  ProviderError,
  RateLimitError,
  RouterConfigError,
} from './errors';
import type { ProviderTarget } from './providers';
import { headersOf } from './request';
import { MemoryRouterState, type MinuteUsage, type RouterState } from './state';
import { LatencyTracker, STRATEGIES, type Strategy } from './strategies';
import type { RouterEvents, RouterOptions } from './types';

/** Failures within this window count toward a cooldown. */
const FAILURE_WINDOW_MS = 60_000;

/** A call's hold on a deployment past its first answer, for streams. */
interface Claim {
  /** Ends the hold: in-flight count, `maxParallelRequests` slot, timer. */
  release: (() => void) | undefined;
  /** Restarts the timeout; called for each chunk. */
  touch: (() => void) | undefined;
}

/** What the dispatcher needs of a call. */
export interface DispatchCall {
  modelGroup: string;
  callType: string;
  request: Record<string, unknown>;
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
  private readonly inFlight = new Map<string, number>();
  private readonly latency = new LatencyTracker();

  constructor(
    private readonly groups: ReadonlyMap<string, readonly Deployment[]>,
    options: RouterOptions,
    private readonly events: EventEmitter<RouterEvents>,
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
   */
  async execute<T>(
    call: DispatchCall,
    expectedTokens: number,
    attempt: (deployment: Deployment, target: ProviderTarget) => Promise<T>,
    tokensOf?: (value: T) => number | undefined,
    options: { keepSlot?: boolean } = {},
  ): Promise<{ value: T; deployment: Deployment } & Claim> {
    const request = call.request;
    const signal = request.signal as AbortSignal | undefined;
    const numRetries = request.numRetries ?? this.numRetries;
    if (typeof numRetries !== 'number' || !Number.isInteger(numRetries) || numRetries < 0) {
      throw invalidRequest(`numRetries: must be a whole number, 0 or more, got ${JSON.stringify(numRetries)}`);
    }
    const order = [call.modelGroup];
    let lastError: unknown;
    for (let g = 0; g < order.length; g++) {
      const group = order[g]!;
      for (let tries = 0; tries <= numRetries; tries++) {
        let deployment: Deployment;
        try {
          deployment = await this.pick(group, expectedTokens, true);
        } catch (err) {
          // Nothing to route to in this group (all cooling down, or at their limits): go to the fallbacks,
          // keeping the error a provider gave, if one did, as the one to report.
          lastError ??= err;
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
          // The caller gave up: no retry, no fallback.
          if (signal?.aborted) throw err;
          if (err instanceof ContextWindowExceededError || !isRetryable(err) || tries === numRetries) break;
          // A retry needs somewhere to go: once every deployment of the group cools down, fall back now.
          if (await this.allCoolingDown(group)) break;
          const delayMs = this.backoffMs(tries, err as ProviderError);
          this.events.emit('retry', { modelGroup: group, deploymentId: deployment.id, attempt: tries + 1, delayMs, error: err as Error });
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      }
      if (g === 0) order.push(...this.fallbacksFor(group, lastError).filter((name) => !order.includes(name)));
      const next = order[g + 1];
      if (next) this.events.emit('fallback', { from: group, to: next, error: lastError as Error });
    }
    throw lastError;
  }

  /**
   * One attempt on one deployment, within its slot and its timeout. A stream keeps both past the first
   * chunk: `touch` restarts the timeout after each chunk, so it bounds the gap between chunks, and
   * `release` ends the claim. A stream nobody reads is aborted and released when the timeout runs out.
   */
  private async attemptOn<T>(
    deployment: Deployment,
    request: Record<string, unknown>,
    attempt: (deployment: Deployment, target: ProviderTarget) => Promise<T>,
    keepSlot: boolean,
  ): Promise<{ value: T } & Claim> {
    const releaseSlot = await takeSlot(deployment);
    const timeoutSeconds = Math.min(
      typeof request.timeout === 'number' ? request.timeout : Infinity,
      deployment.params.timeout ?? Infinity,
      this.timeoutSeconds,
    );
    const timeoutMs = Math.round(timeoutSeconds * 1000);
    const controller = new AbortController();
    const userSignal = request.signal instanceof AbortSignal ? request.signal : undefined;
    const onUserAbort = () => controller.abort(userSignal!.reason);
    if (userSignal?.aborted) onUserAbort();
    userSignal?.addEventListener('abort', onUserAbort, { once: true });
    let finished = false;
    // Ends the call's claim on the deployment: its in-flight count (taken by `pick`), slot and timer.
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      userSignal?.removeEventListener('abort', onUserAbort);
      this.inFlight.set(deployment.id, (this.inFlight.get(deployment.id) ?? 1) - 1);
      releaseSlot();
    };
    let ok = false;
    const onTimeout = () => {
      controller.abort(new DOMException(`no answer within ${timeoutSeconds} s`, 'TimeoutError'));
      if (ok) finish(); // a stream past its first chunk that nobody reads any more
    };
    let timer = setTimeout(onTimeout, timeoutMs);
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(onTimeout, timeoutMs);
    };
    const target: ProviderTarget = {
      model: deployment.providerModel,
      apiKey: deployment.params.apiKey,
      apiBase: deployment.params.apiBase,
      apiVersion: deployment.params.apiVersion,
      headers: headersOf(deployment.params, request),
      signal: controller.signal,
    };
    const started = performance.now();
    try {
      const value = await attempt(deployment, target);
      ok = true;
      this.latency.record(deployment.id, performance.now() - started);
      return keepSlot ? { value, release: finish, touch } : { value, release: undefined, touch: undefined };
    } catch (err) {
      this.latency.recordFailure(deployment.id, performance.now() - started);
      throw err;
    } finally {
      if (!ok || !keepSlot) finish();
    }
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
    // A group's only deployment is never cooled down: there would be nothing left to route to (as LiteLLM).
    if (!countsTowardCooldown(error) || this.groups.get(deployment.modelGroup)!.length === 1) return;
    try {
      const now = Date.now();
      const failures = await this.state.recordFailure(deployment.id, now, FAILURE_WINDOW_MS);
      if (failures > this.allowedFails && this.cooldownMs > 0) {
        const until = now + this.cooldownMs;
        await this.state.startCooldown(deployment.id, until);
        this.events.emit('cooldown', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, until, failures, error });
      }
    } catch (err) {
      this.events.emit('error', err as Error);
    }
  }

  private backoffMs(tries: number, error: ProviderError | undefined): number {
    const fromProvider = error?.retryAfter;
    // A provider's Retry-After wins, capped so that one answer cannot park a call for long.
    if (fromProvider !== undefined) return Math.min(fromProvider, 60) * 1000;
    return this.retryAfterSeconds * 1000 * 2 ** tries;
  }

  private fallbacksFor(group: string, error: unknown): string[] {
    // Without a context-window fallback for the group, the ordinary fallbacks apply (as LiteLLM).
    const contextWindow = error instanceof ContextWindowExceededError ? (this.contextWindowFallbacks.get(group) ?? this.contextWindowFallbacks.get('*')) : undefined;
    if (contextWindow) return [...contextWindow];
    // Another group cannot fix a bad request (other than one too long for this group's context window).
    if (error instanceof BadRequestError && !(error instanceof ContextWindowExceededError)) return [];
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
          throw new RouterConfigError(`${option}[${i}].${from}`, `must list model groups of this router, got ${describeValue(to)}`);
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
