import type { MaybePromise } from './backend';

/** Requests and tokens one deployment took in one minute. */
export interface MinuteUsage {
  requests: number;
  tokens: number;
}

/** One call's claim on a deployment's per-minute limits (see `RouterState.reserve`). */
export interface UsageReservation {
  /** Requests to count when the claim is granted (1 for one call). */
  requests: number;
  /**
   * Tokens the call is expected to use: checked against `tpm`, not counted (its tokens are counted with
   * `addUsage` when the answer arrives).
   */
  expectedTokens: number;
  /** The deployment's requests-per-minute limit. @default no limit */
  rpm?: number | undefined;
  /** The deployment's tokens-per-minute limit. @default no limit */
  tpm?: number | undefined;
}

/**
 * The routing state that many router instances must agree on: cooldowns, recent failures and
 * per-minute usage. The in-process `MemoryRouterState` serves one instance; a shared store (Redis)
 * implements the same interface for many.
 *
 * Times passed in (`now`, `untilMs`) are the calling process's clock. A shared state must not compare
 * them with times written by another host, whose clock may differ: it keeps durations (a key's TTL) instead.
 */
export interface RouterState {
  /**
   * Which of `ids` are cooling down at `now` (ms, the caller's clock). A shared state answers by its own
   * clock (whether the cooldown's key still lives), together with the cooldowns this process took itself.
   */
  coolingDown(ids: readonly string[], now: number): MaybePromise<ReadonlySet<string>>;
  /** Starts or extends (never shortens) a cooldown until `untilMs` (the caller's clock). */
  startCooldown(id: string, untilMs: number): MaybePromise<void>;
  /**
   * Records a failure at `now` (the caller's clock) and returns how many failures the deployment had in
   * the last `windowMs`. A shared state times failures by its own clock, so that every host's fall in one window.
   */
  recordFailure(id: string, now: number, windowMs: number): MaybePromise<number>;
  /** Adds to a deployment's usage in `minute` (ms since the epoch / 60000, floored). */
  addUsage(id: string, minute: number, usage: MinuteUsage): MaybePromise<void>;
  /** Usage of each of `ids` in `minute`; a deployment with none may be left out. */
  usage(ids: readonly string[], minute: number): MaybePromise<ReadonlyMap<string, MinuteUsage>>;
  /**
   * Counts `reservation.requests` toward the deployment's usage in `minute` if that stays within its
   * `rpm`, and its counted tokens plus `expectedTokens` within its `tpm`; one atomic step, so that
   * concurrent callers (in any process on the same state) can never all slip under a limit. Returns
   * whether it was granted; a refused reservation counts nothing. A state without it gets a read of
   * `usage` then `addUsage`, which concurrent calls can overrun.
   */
  reserve?(id: string, minute: number, reservation: UsageReservation): MaybePromise<boolean>;
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

  reserve(id: string, minute: number, reservation: UsageReservation): boolean {
    const current = this.minutes.get(id);
    const used = current?.minute === minute ? current.usage : undefined;
    if (!fitsLimits(used, reservation)) return false;
    this.addUsage(id, minute, { requests: reservation.requests, tokens: 0 });
    return true;
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

/** Whether `reservation` fits its deployment's limits on top of `used` (this minute's usage so far). */
function fitsLimits(used: MinuteUsage | undefined, reservation: UsageReservation): boolean {
  const { rpm, tpm } = reservation;
  if (rpm !== undefined && (used?.requests ?? 0) + reservation.requests > rpm) return false;
  if (tpm !== undefined && (used?.tokens ?? 0) + reservation.expectedTokens > tpm) return false;
  return true;
}
