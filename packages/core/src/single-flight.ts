/**
 * Coalesces concurrent work by key within one process: while a computation for a key runs, later
 * callers of that key get the same promise instead of starting another. A failure reaches every waiter
 * and is forgotten, so the next caller tries again.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /** Runs `fn` for `key` unless a run is under way, in which case it joins that one. */
  run<T>(key: string, fn: () => Promise<T>): { promise: Promise<T>; leader: boolean } {
    const existing = this.inFlight.get(key) as Promise<T> | undefined;
    if (existing) return { promise: existing, leader: false };
    const promise = (async () => {
      try {
        return await fn();
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, promise);
    return { promise, leader: true };
  }

  /** Keys being computed now. */
  get size(): number {
    return this.inFlight.size;
  }
}

/**
 * The hook a cross-process lock plugs into (Redis `SET NX PX`, say), so that one miss is computed once
 * across many processes. `Cache` takes the lock before computing a miss; a caller that cannot take it
 * polls the cache for the winner's value until `lockWaitMs`, then computes anyway.
 */
export interface DistributedLock {
  /**
   * Tries once to take the lock on `key` for at most `ttlMs`. Resolves to a release function when taken,
   * or `undefined` when someone else holds it.
   */
  acquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}
