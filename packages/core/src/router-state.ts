import type { MaybePromise } from './backend';

/** Requests and tokens one deployment took in one minute. */
export interface MinuteUsage {
  requests: number;
  tokens: number;
}

/**
 * The routing state that many router instances must agree on: cooldowns, recent failures and
 * per-minute usage. The in-process `MemoryRouterState` serves one instance; a shared store (Redis)
 * implements the same interface for many.
 */
export interface RouterState {
  /** Which of `ids` are cooling down at `now` (ms). */
  coolingDown(ids: readonly string[], now: number): MaybePromise<ReadonlySet<string>>;
  /** Starts or extends a cooldown until `untilMs`. */
  startCooldown(id: string, untilMs: number): MaybePromise<void>;
  /** Records a failure at `now` and returns how many failures the deployment had in the last `windowMs`. */
  recordFailure(id: string, now: number, windowMs: number): MaybePromise<number>;
  /** Adds to a deployment's usage in `minute` (ms since the epoch / 60000, floored). */
  addUsage(id: string, minute: number, usage: MinuteUsage): MaybePromise<void>;
  /** Usage of each of `ids` in `minute`; a deployment with none may be left out. */
  usage(ids: readonly string[], minute: number): MaybePromise<ReadonlyMap<string, MinuteUsage>>;
  /** Releases connections; called by `router.close()` for a state the router made itself (the `redis` option). */
  close?(): MaybePromise<void>;
}

const EMPTY: ReadonlySet<string> = new Set();

/** Routing state for one process. */
export class MemoryRouterState implements RouterState {
  private readonly cooldowns = new Map<string, number>();
  private readonly failures = new Map<string, number[]>();
  private readonly minutes = new Map<string, { minute: number; usage: MinuteUsage }>();

  coolingDown(ids: readonly string[], now: number): ReadonlySet<string> {
    if (this.cooldowns.size === 0) return EMPTY;
    let out: Set<string> | undefined;
    for (const id of ids) {
      const until = this.cooldowns.get(id);
      if (until === undefined) continue;
      if (until > now) (out ??= new Set()).add(id);
      else this.cooldowns.delete(id);
    }
    return out ?? EMPTY;
  }

  startCooldown(id: string, untilMs: number): void {
    this.cooldowns.set(id, Math.max(untilMs, this.cooldowns.get(id) ?? 0));
  }

  recordFailure(id: string, now: number, windowMs: number): number {
    const recent = (this.failures.get(id) ?? []).filter((t) => t > now - windowMs);
    recent.push(now);
    this.failures.set(id, recent);
    return recent.length;
  }

  addUsage(id: string, minute: number, usage: MinuteUsage): void {
    const current = this.minutes.get(id);
    if (current?.minute === minute) {
      current.usage.requests += usage.requests;
      current.usage.tokens += usage.tokens;
    } else {
      this.minutes.set(id, { minute, usage: { ...usage } });
    }
  }

  usage(ids: readonly string[], minute: number): ReadonlyMap<string, MinuteUsage> {
    const out = new Map<string, MinuteUsage>();
    for (const id of ids) {
      const current = this.minutes.get(id);
      if (current?.minute === minute) out.set(id, current.usage);
    }
    return out;
  }
}
