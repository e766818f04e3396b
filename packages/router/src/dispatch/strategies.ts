import { RateLimitError } from '../errors';
import type { Deployment } from './deployment';
import type { MinuteUsage } from '@llmcache/core';
import type { RoutingStrategyName } from '../types';

/** What a strategy knows when it picks: this process's load and latency, and the shared per-minute usage. */
export interface PickContext {
  inFlight: ReadonlyMap<string, number>;
  latency: LatencyTracker;
  /** This minute's usage, present only for usage-based routing. */
  usage: ReadonlyMap<string, MinuteUsage> | undefined;
  /** Tokens the request is expected to use (usage-based routing). */
  expectedTokens: number;
  random: () => number;
}

/** Picks one deployment among the available (not cooling down) ones of a group; never called with none. */
export type Strategy = (candidates: readonly Deployment[], ctx: PickContext) => Deployment;

function weightedRandom(candidates: readonly Deployment[], random: () => number): Deployment {
  let total = 0;
  for (const d of candidates) total += d.weight ?? 1;
  let point = random() * total;
  for (const d of candidates) {
    point -= d.weight ?? 1;
    if (point < 0) return d;
  }
  return candidates[candidates.length - 1]!;
}

function randomOf(candidates: readonly Deployment[], random: () => number): Deployment {
  return candidates[Math.floor(random() * candidates.length)] ?? candidates[0]!;
}

/** Weighted by `weight`, else `rpm`, else `tpm`; uniform when no deployment has any. */
const simpleShuffle: Strategy = (candidates, { random }) => {
  // Mixed configs (some weighted, some not) would give the unweighted ones 1 against thousands: go uniform.
  const weighted = candidates.every((d) => d.weight !== undefined);
  return weighted ? weightedRandom(candidates, random) : randomOf(candidates, random);
};

/** Fewest calls in flight from this process; ties broken at random. */
const leastBusy: Strategy = (candidates, { inFlight, random }) => {
  let best: Deployment[] = [];
  let least = Infinity;
  for (const d of candidates) {
    const n = inFlight.get(d.id) ?? 0;
    if (n < least) {
      least = n;
      best = [d];
    } else if (n === least) best.push(d);
  }
  return randomOf(best, random);
};

/** Share of the lowest average latency within which deployments count as tied and share the load. */
export const LATENCY_BUFFER = 0.1;

/** Lowest recent latency; deployments within `LATENCY_BUFFER` of the best share the load; untried ones go first. */
const latencyBased: Strategy = (candidates, { latency, random }) => {
  const now = Date.now();
  const averages = candidates.map((d) => latency.average(d.id, now));
  const untried = candidates.filter((_, i) => averages[i] === undefined);
  if (untried.length > 0) return randomOf(untried, random);
  const best = Math.min(...(averages as number[]));
  return randomOf(
    candidates.filter((_, i) => averages[i]! <= best * (1 + LATENCY_BUFFER)),
    random,
  );
};

/** Least used this minute against its own limits; a deployment at its `rpm` or `tpm` is skipped; all at limit is a 429. */
const usageBased: Strategy = (candidates, { usage, expectedTokens, random }) => {
  let best: Deployment[] = [];
  let lowest = Infinity;
  for (const d of candidates) {
    const used = usage?.get(d.id) ?? { requests: 0, tokens: 0 };
    const { rpm, tpm } = d.params;
    if (rpm !== undefined && used.requests + 1 > rpm) continue;
    if (tpm !== undefined && used.tokens + expectedTokens > tpm) continue;
    // Compare by share of the limit where there is one, else by raw tokens.
    const load = tpm !== undefined ? used.tokens / tpm : rpm !== undefined ? used.requests / rpm : used.tokens;
    if (load < lowest) {
      lowest = load;
      best = [d];
    } else if (load === lowest) best.push(d);
  }
  if (best.length === 0) throw atLimits(candidates[0]?.modelGroup);
  return randomOf(best, random);
};

/** The 429 for a group whose every deployment is at its rpm/tpm limit: retry when the minute turns. */
export function atLimits(group: string | undefined): RateLimitError {
  return new RateLimitError(`every deployment of "${group}" is at its rpm/tpm limit for this minute`, {
    status: 429,
    provider: 'router',
    model: group,
    retryAfter: 60 - (Math.floor(Date.now() / 1000) % 60),
  });
}

export const STRATEGIES: Readonly<Record<RoutingStrategyName, Strategy>> = {
  'simple-shuffle': simpleShuffle,
  'least-busy': leastBusy,
  'latency-based-routing': latencyBased,
  'usage-based-routing': usageBased,
};

/** How long a latency sample counts; after it, a deployment that failed is tried again. */
export const LATENCY_SAMPLE_TTL_MS = 60_000;
/** What a failed call counts as, so that a deployment that only fails never looks fast (or untried). */
export const FAILURE_LATENCY_MS = 10_000;

/** The last few latencies of each deployment, in ms, from the last minute. */
export class LatencyTracker {
  private readonly samples = new Map<string, Array<{ ms: number; at: number }>>();
  constructor(private readonly window = 10) {}

  record(id: string, ms: number, now = Date.now()): void {
    const list = this.samples.get(id) ?? [];
    list.push({ ms, at: now });
    if (list.length > this.window) list.shift();
    this.samples.set(id, list);
  }

  /** A failure: as slow as `FAILURE_LATENCY_MS`, or as the failure itself took if longer. */
  recordFailure(id: string, ms: number, now = Date.now()): void {
    this.record(id, Math.max(ms, FAILURE_LATENCY_MS), now);
  }

  average(id: string, now = Date.now()): number | undefined {
    const list = this.samples.get(id);
    if (!list) return undefined;
    let sum = 0;
    let n = 0;
    for (const sample of list) {
      if (now - sample.at > LATENCY_SAMPLE_TTL_MS) continue;
      sum += sample.ms;
      n++;
    }
    return n === 0 ? undefined : sum / n;
  }
}
