import { TimeoutError } from '../errors';
import type { CallSettings } from '../calls/call-settings';
import { ClientPool, type ProviderTarget } from '../providers';
import { takeSlot, type Deployment } from './deployment';
import { LatencyTracker } from './strategies';

/**
 * A call's hold on a deployment past its first answer, for streams. A whole answer's claim has ended by
 * the time the caller sees it: releasing or touching it does nothing.
 */
export interface Claim {
  /** Ends the hold: in-flight count, `maxParallelRequests` slot, timer. */
  release: () => void;
  /** Restarts the timeout; called for each chunk. */
  touch: () => void;
  /** Whether the timeout has run out (the claim was then released). */
  expired: () => boolean;
}

/** One attempt's work on a deployment. */
export type Attempt<T> = (deployment: Deployment, target: ProviderTarget) => Promise<T>;

/**
 * Single attempts on single deployments: each one's timer and `maxParallelRequests` slot, this process's
 * load (calls in flight) and latency per deployment, and which failures were the caller's own doing.
 */
export class Attempts {
  /** Calls in flight per deployment id, counted from the pick (see `Dispatcher.pick`). */
  readonly inFlight = new Map<string, number>();
  readonly latency = new LatencyTracker();
  /** Failures the caller brought on (its abort, its shorter timeout, a full local queue): never a deployment's fault. */
  readonly callersFault = new WeakSet<object>();
  /** Ends every claim held now, so that close() can release them. */
  private readonly claims = new Set<() => void>();
  /** The providers' SDK clients for this router's calls, released by close(). */
  private readonly clients = new ClientPool();

  /** @param timeoutSeconds the router's `timeout`, which caps every deployment's own. */
  constructor(private readonly timeoutSeconds: number) {}

  /**
   * One attempt on one deployment, within its timeout, which also bounds the wait for a
   * `maxParallelRequests` slot. A stream keeps its claim past the first chunk: `touch` restarts the
   * timeout after each chunk, so it bounds the gap between chunks, and `release` ends the claim. A stream
   * nobody reads is aborted and released when the timeout runs out.
   */
  async run<T>(
    deployment: Deployment,
    settings: CallSettings,
    attempt: Attempt<T>,
    options: { stream: boolean; signal: AbortSignal; deadline: number },
  ): Promise<{ value: T; claim: Claim }> {
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
      return { value, claim: { release: finish, touch, expired: () => timedOut } };
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
      const error = new TimeoutError(
        `all ${deployment.params.maxParallelRequests} maxParallelRequests slots stayed busy for ${Math.round(timeoutMs) / 1000} s`,
        {
          status: 408,
          provider: deployment.provider.name,
          model: deployment.providerModel,
          cause: err,
        },
      );
      this.callersFault.add(error);
      throw error;
    }
  }

  /** Ends every claim held now (their slots and timers) and releases the providers' SDK clients. */
  close(): void {
    for (const finish of [...this.claims]) finish();
    this.clients.close();
  }
}
