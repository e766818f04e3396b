import { MemoryRouterState, type MaybePromise, type MinuteUsage, type RouterState } from '@llmcache/core';
import { describeValue, isThenable, sleep } from '@llmcache/core/internal';
import type { EventEmitter } from 'eventemitter3';
import type { CallSettings } from '../calls/call-settings';
import { checkNumber, RULES } from '../config/checks';
import { ContextWindowExceededError, invalidRequest, isRetryable, ProviderError, RateLimitError, RouterConfigError, TimeoutError } from '../errors';
import type { RouterLog } from '../logger';
import type { RouterEvents, RouterOptions } from '../types';
import { Attempts, type Attempt, type Claim } from './attempts';
import { Cooldowns } from './cooldowns';
import type { Deployment } from './deployment';
import { Fallbacks } from './fallbacks';
import { atLimits, STRATEGIES, type PickContext, type Strategy } from './strategies';
import type { WildcardRoutes } from './wildcards';

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
  private readonly cooldownMs: number;
  private readonly retryAfterSeconds: number;
  private readonly fallbacks: Fallbacks;
  private readonly attempts: Attempts;
  private readonly cooldowns: Cooldowns;
  /** Aborts every attempt, slot wait and retry sleep when the router closes. */
  private readonly closing = new AbortController();

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
    if (!strategy)
      throw new RouterConfigError('routingStrategy', `must be one of ${Object.keys(STRATEGIES).join(', ')}, got ${describeValue(options.routingStrategy)}`);
    this.strategy = strategy;
    this.state = options.state ?? new MemoryRouterState();
    this.numRetries = checkNumber('numRetries', options.numRetries ?? 2, RULES.wholeNumber);
    const timeoutSeconds = checkNumber('timeout', options.timeout ?? 600, RULES.timerSeconds);
    const allowedFails = checkNumber('allowedFails', options.allowedFails ?? 3, RULES.wholeNumber);
    this.cooldownMs = checkNumber('cooldownTime', options.cooldownTime ?? 5, RULES.timerSecondsOrZero) * 1000;
    this.retryAfterSeconds = checkNumber('retryAfter', options.retryAfter ?? 0.5, RULES.timerSecondsOrZero);
    this.fallbacks = new Fallbacks(options, groups, wildcards);
    this.attempts = new Attempts(timeoutSeconds);
    this.cooldowns = new Cooldowns(this.state, groups, this.groupIds, { allowedFails, cooldownMs: this.cooldownMs }, this.attempts.callersFault, events, log);
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
        status: 429,
        provider: 'router',
        model: modelGroup,
        retryAfter: this.cooldownMs / 1000,
      });
    }
    const minute = Math.floor(now / 60_000);
    const usageBased = this.strategyName === 'usage-based-routing';
    const usageResult = usageBased ? this.state.usage(ids, minute) : undefined;
    const usage = isThenable(usageResult) ? await usageResult : usageResult;
    const context: PickContext = { inFlight: this.attempts.inFlight, latency: this.attempts.latency, usage, expectedTokens, random: Math.random };
    let picked = this.strategy(candidates, context);
    if (!reserve) return picked;
    if (usageBased && this.state.reserve) {
      // The usage read above only ranks; the limit is held by the state's atomic reservation.
      const granted = this.reserveAmong(picked, candidates, context, minute);
      picked = isThenable(granted) ? await granted : granted;
    } else {
      // Counted now, not when the answer arrives, so that concurrent calls see each other's picks.
      this.addUsage(picked, { requests: 1, tokens: 0 });
    }
    this.attempts.inFlight.set(picked.id, (this.attempts.inFlight.get(picked.id) ?? 0) + 1);
    return picked;
  }

  /**
   * Reserves the picked deployment's place under its rpm/tpm in the state, in one atomic step; when the
   * state refuses (a concurrent call, maybe in another process, took the last place), the strategy picks
   * again among the rest, and none left is a 429. Synchronous on an in-process state.
   */
  private reserveAmong(picked: Deployment, candidates: readonly Deployment[], context: PickContext, minute: number): MaybePromise<Deployment> {
    let left = candidates;
    const tryOne = (d: Deployment): MaybePromise<Deployment> => {
      const granted = this.state.reserve!(d.id, minute, { requests: 1, expectedTokens: context.expectedTokens, rpm: d.params.rpm, tpm: d.params.tpm });
      const settle = (ok: boolean): MaybePromise<Deployment> => {
        if (ok) return d;
        left = left.filter((c) => c !== d);
        if (left.length === 0) throw atLimits(d.modelGroup);
        return tryOne(this.strategy(left, context));
      };
      return isThenable(granted) ? granted.then(settle) : settle(granted);
    };
    return tryOne(picked);
  }

  /**
   * Runs `attempt` on deployments of the call's group: retries (408, 429, 5xx, connection errors) with
   * backoff that honours `Retry-After`, then the fallback groups, cooling down deployments that fail too often.
   * The request's own `timeout` bounds the whole call: no retry or fallback starts after it has run out.
   */
  async execute<T>(
    call: DispatchCall,
    expectedTokens: number,
    attempt: Attempt<T>,
    tokensOf?: (value: T) => number | undefined,
    options: ExecuteOptions = {},
  ): Promise<{ value: T; deployment: Deployment; claim: Claim }> {
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
        if (Date.now() >= deadline) {
          // The last failure as it was caught (a provider's error, or whatever an attempt threw), else the timeout.
          const failure: unknown = lastError ?? this.outOfTime(call, settings.timeoutMs!);
          throw failure;
        }
        let deployment: Deployment;
        try {
          deployment = await this.pick(group, expectedTokens, true);
          deployment = concrete?.get(deployment.id) ?? deployment;
          this.log.debug('routed', {
            modelGroup: group,
            deploymentId: deployment.id,
            model: deployment.providerModel,
            strategy: this.strategyName,
            attempt: tries + 1,
          });
        } catch (err) {
          // Nothing to route to in this group (all cooling down, or at their limits): go to the fallbacks,
          // keeping the error a provider gave, if one did, as the one to report.
          lastError ??= err;
          break;
        }
        const attemptStarted = performance.now();
        try {
          const outcome = await this.attempts.run(deployment, settings, attempt, { stream: options.stream === true, signal, deadline });
          const tokens = tokensOf?.(outcome.value);
          if (tokensOf) this.recordUsage(deployment, tokens ?? expectedTokens);
          return { value: outcome.value, deployment, claim: outcome.claim };
        } catch (err) {
          // The caller gave up (or the router closed): no retry, no fallback, and not the deployment's fault.
          if (signal.aborted) throw signal.reason;
          lastError = err;
          await this.noteFailure(deployment, err as Error, call.callType, performance.now() - attemptStarted);
          // The call's own numRetries, else the deployment's (LiteLLM's per-deployment max_retries), else the router's.
          const numRetries = settings.numRetries ?? deployment.params.numRetries ?? this.numRetries;
          if (err instanceof ContextWindowExceededError || !isRetryable(err) || tries >= numRetries) break;
          // A retry needs somewhere to go: once every deployment of the group cools down, fall back now.
          if (await this.cooldowns.allCoolingDown(group)) break;
          const delayMs = this.backoffMs(tries, err as ProviderError);
          // A wait that would outlast the call's timeout is not worth making: try the fallbacks now.
          if (Date.now() + delayMs >= deadline) break;
          this.events.emit('retry', { modelGroup: group, deploymentId: deployment.id, attempt: tries + 1, delayMs, error: err as Error });
          this.log.info('retry', { modelGroup: group, deploymentId: deployment.id, attempt: tries + 1, delayMs, error: err as Error });
          await sleep(delayMs, signal);
        }
      }
      if (g === 0) order.push(...this.fallbacks.for(call.modelGroup, lastError, call.requestedModel).filter((name) => !order.includes(name)));
      const next = order[g + 1];
      if (next) this.events.emit('fallback', { from: order[g]!, to: next, error: lastError as Error });
      if (next) this.log.info('fallback', { from: order[g]!, to: next, error: lastError as Error });
    }
    throw lastError;
  }

  private outOfTime(call: DispatchCall, timeoutMs: number): TimeoutError {
    return new TimeoutError(`the call's timeout of ${timeoutMs / 1000} s ran out`, { status: 408, provider: 'llmcache', model: call.modelGroup });
  }

  /** Ends every claim, slot wait and retry sleep (the calls concerned reject), and releases the providers' SDK clients. */
  close(reason: Error): void {
    this.closing.abort(reason);
    this.attempts.close();
  }

  /** Tokens an answer used, for usage-based routing (its request was counted when it was picked). */
  recordUsage(deployment: Deployment, tokens: number): void {
    this.addUsage(deployment, { requests: 0, tokens });
  }

  private addUsage(deployment: Deployment, usage: MinuteUsage): void {
    void Promise.resolve(this.state.addUsage(deployment.id, Math.floor(Date.now() / 60_000), usage)).catch((err: unknown) =>
      this.events.emit('error', err as Error),
    );
  }

  /** Reports a failed attempt and counts it toward the deployment's cooldown. */
  noteFailure(deployment: Deployment, error: Error, callType: string, latencyMs: number): Promise<void> {
    return this.cooldowns.noteFailure(deployment, error, callType, latencyMs);
  }

  private backoffMs(tries: number, error: ProviderError | undefined): number {
    const fromProvider = error?.retryAfter;
    // A provider's Retry-After wins, capped so that one answer cannot park a call for long.
    if (fromProvider !== undefined) return Math.min(fromProvider, 60) * 1000;
    return Math.min(this.retryAfterSeconds * 2 ** tries, 60) * 1000;
  }
}
