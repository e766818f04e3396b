interface Flight {
  promise: Promise<unknown>;
  /** Aborts the shared work; fired when every caller waiting on it has left. */
  controller: AbortController;
  waiting: number;
}

/**
 * Coalesces concurrent work by key within one process: while a computation for a key runs, later
 * callers of that key wait for it instead of starting another. A failure reaches every waiter and is
 * forgotten, so the next caller tries again.
 *
 * A caller may bring an abort signal: when it fires, that caller leaves at once (its promise rejects with
 * the signal's reason) while the others keep waiting. The work itself is aborted, through the signal `fn`
 * receives, only when every caller waiting on it has left.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Flight>();

  /** Runs `fn` for `key` unless a run is under way, in which case it joins that one. */
  run<T>(key: string, fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): { promise: Promise<T>; leader: boolean } {
    let flight = this.inFlight.get(key);
    const leader = flight === undefined;
    if (!flight) {
      const controller = new AbortController();
      const started: Flight = { controller, waiting: 0, promise: Promise.resolve() };
      started.promise = (async () => {
        try {
          return await fn(controller.signal);
        } finally {
          this.forget(key, started);
        }
      })();
      // Every caller may have left before it settles: its rejection then has nobody to reach.
      started.promise.catch(() => {});
      this.inFlight.set(key, started);
      flight = started;
    }
    return { promise: this.wait(key, flight, signal) as Promise<T>, leader };
  }

  /** Keys being computed now. */
  get size(): number {
    return this.inFlight.size;
  }

  private wait(key: string, flight: Flight, signal: AbortSignal | undefined): Promise<unknown> {
    flight.waiting++;
    if (!signal) return flight.promise;
    return new Promise((resolve, reject) => {
      const leave = () => {
        if (--flight.waiting === 0) {
          // Nobody wants the answer any more: stop the work, and let the next caller start afresh.
          this.forget(key, flight);
          flight.controller.abort(signal.reason);
        }
        reject(signal.reason);
      };
      if (signal.aborted) return leave();
      signal.addEventListener('abort', leave, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(err);
        },
      );
    });
  }

  private forget(key: string, flight: Flight): void {
    if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
  }
}

/**
 * Frees a lock. `stored: false` says the holder stored no value (it failed, or its answer is not stored):
 * a lock that can should then tell the callers waiting on it, so that they stop waiting at once.
 */
export interface LockRelease {
  (outcome?: { stored: boolean }): Promise<void>;
  /**
   * Pushes the lock's expiry to `ttlMs` from now while its holder still has it; resolves false once it
   * lost it. Given by a lock with `leases`.
   */
  extend?: (ttlMs: number) => Promise<boolean>;
}

/**
 * The hook a cross-process lock plugs into (Redis `SET NX PX`, say), so that one miss is computed once
 * across many processes. `Cache` takes the lock before computing a miss it will store; a caller that cannot
 * take it polls the cache for the winner's value until `lockWaitMs` or its own timeout, then computes anyway.
 */
export interface DistributedLock {
  /**
   * Tries once to take the lock on `key` for at most `ttlMs`. Resolves to a release function when taken,
   * `undefined` when someone else holds it, or `'no-value'` when its last holder released it without a
   * value (`release({ stored: false })`): callers then compute at once, without the lock, rather than
   * taking turns at a computation that stores nothing.
   */
  acquire(key: string, ttlMs: number): Promise<LockRelease | undefined | 'no-value'>;
  /**
   * Whether release functions can `extend` the lock. `Cache` then takes it for a short lease (5 s, at most
   * `lockWaitMs`) and extends it while computing, so that a holder that died is noticed within seconds
   * rather than after `lockWaitMs`.
   * @default false
   */
  readonly leases?: boolean;
}
