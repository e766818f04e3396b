import type { EventEmitter } from 'eventemitter3';
import { countsTowardCooldown } from '../errors';
import type { RouterLog } from '../logger';
import type { RouterEvents } from '../types';
import type { Deployment } from './deployment';
import type { RouterState } from '@llmcache/core';

/** Failures within this window count toward a cooldown. */
const FAILURE_WINDOW_MS = 60_000;

/**
 * Cooldowns: a deployment that fails more than `allowedFails` times within a minute is left out of
 * picks for `cooldownTime`, in the shared state, so that every router on that state skips it.
 */
export class Cooldowns {
  constructor(
    private readonly state: RouterState,
    private readonly groups: ReadonlyMap<string, readonly Deployment[]>,
    private readonly groupIds: ReadonlyMap<string, readonly string[]>,
    private readonly limits: { allowedFails: number; cooldownMs: number },
    /** Failures that were the caller's doing: reported, never counted. */
    private readonly callersFault: WeakSet<object>,
    private readonly events: EventEmitter<RouterEvents>,
    private readonly log: RouterLog,
  ) {}

  /** Whether every deployment of the group is cooling down now. */
  async allCoolingDown(modelGroup: string): Promise<boolean> {
    const ids = this.groupIds.get(modelGroup) ?? [];
    return (await this.state.coolingDown(ids, Date.now())).size === ids.length;
  }

  /** Reports a failed attempt (event and log), and counts it toward the deployment's cooldown. */
  async noteFailure(deployment: Deployment, error: Error, callType: string, latencyMs: number): Promise<void> {
    this.events.emit('failure', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, error, latencyMs, callType });
    this.log.warn('failure', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, callType, latencyMs: Math.round(latencyMs), error });
    if (this.callersFault.has(error)) return;
    // A group's only deployment is never cooled down: there would be nothing left to route to (as LiteLLM).
    if (!countsTowardCooldown(error) || this.groups.get(deployment.modelGroup)?.length === 1) return;
    try {
      const now = Date.now();
      const failures = await this.state.recordFailure(deployment.id, now, FAILURE_WINDOW_MS);
      if (failures > this.limits.allowedFails && this.limits.cooldownMs > 0) {
        const until = now + this.limits.cooldownMs;
        await this.state.startCooldown(deployment.id, until);
        this.events.emit('cooldown', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, until, failures, error });
        this.log.warn('cooldown', { modelGroup: deployment.modelGroup, deploymentId: deployment.id, until: new Date(until).toISOString(), failures, error });
      }
    } catch (err) {
      this.events.emit('error', err as Error);
    }
  }
}
