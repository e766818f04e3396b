import type { EventEmitter } from 'eventemitter3';
import { isThenable, type CacheBackend, type MaybePromise } from './backend';
import type { CacheCounters, CacheEvents } from './cache-types';
import { CacheBackendError } from './errors';

/** What a backend operation yields when it threw or timed out (already reported). */
export const FAILED = Symbol('failed');
export type Failed = typeof FAILED;

/**
 * Every call `Cache` makes to its backend goes through here: bounded by the operation timeout, and a
 * throw or a timeout is counted, reported as an `error` event and yields FAILED, so that a failing
 * store never fails a call.
 */
export class GuardedBackend {
  constructor(
    readonly backend: CacheBackend,
    /** Longest wait for one operation, in ms. */
    readonly timeoutMs: number,
    private readonly counters: CacheCounters,
    private readonly events: EventEmitter<CacheEvents>,
  ) {}

  /**
   * Runs a backend operation under the timeout; a throw or a timeout is reported and yields FAILED.
   * A synchronous backend's answer comes back synchronously: no timer, no extra promise on the hit path.
   */
  call<R>(operation: string, key: string | undefined, op: () => MaybePromise<R>): MaybePromise<R | Failed> {
    return this.callThen(operation, key, op, (outcome) => outcome);
  }

  /** `call` with `next` run on the outcome, in the same promise reaction: a remote read costs one hop, not three. */
  callThen<R, N>(operation: string, key: string | undefined, op: () => MaybePromise<R>, next: (outcome: R | Failed) => N): N | Promise<Awaited<N>> {
    let pending: MaybePromise<R>;
    try {
      pending = op();
    } catch (err) {
      return next(this.failed(operation, key, err));
    }
    if (!isThenable(pending)) return next(pending);
    // N is a value or a promise of one: either way the reaction's promise resolves to Awaited<N>.
    const react = next as (outcome: R | Failed) => Awaited<N> | PromiseLike<Awaited<N>>;
    // A backend that bounds its own reads within our timeout needs no timer of ours on them.
    const { readTimeoutMs } = this.backend;
    if (readTimeoutMs !== undefined && readTimeoutMs <= this.timeoutMs && (operation === 'get' || operation === 'getMany')) {
      return pending.then(react, (err: unknown) => react(this.failed(operation, key, err)));
    }
    return this.settle(operation, key, pending).then(react);
  }

  /** Counts a failure and emits it as an `error` event naming the backend, the operation and the key. */
  report(operation: string, key: string | undefined, err: unknown): void {
    this.counters.errors++;
    const message = err instanceof Error ? err.message : String(err);
    this.events.emit('error', new CacheBackendError(this.backend.name, operation, key, message, { cause: err }));
  }

  /** Reports a failed operation; what it yields instead. */
  private failed(operation: string, key: string | undefined, err: unknown): Failed {
    this.report(operation, key, err);
    return FAILED;
  }

  private settle<R>(operation: string, key: string | undefined, pending: Promise<R>): Promise<R | Failed> {
    // One promise and one timer per operation (no race of promises): this runs on every remote read.
    return new Promise((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.report(operation, key, new Error(`no answer within ${this.timeoutMs} ms`));
        resolve(FAILED);
      }, this.timeoutMs);
      timer.unref?.();
      pending.then(
        (value) => {
          if (settled) return;
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          clearTimeout(timer);
          resolve(this.failed(operation, key, err));
        },
      );
    });
  }
}
