import type { Usage } from './answers';
import type { IgnoredConfigKey } from './options';

/** Events a Router emits. */
export interface RouterEvents {
  success: (event: {
    modelGroup: string;
    deploymentId: string | undefined;
    cacheHit: boolean;
    latencyMs: number;
    usage: Usage | undefined;
    callType: string;
  }) => void;
  failure: (event: { modelGroup: string; deploymentId: string; error: Error; latencyMs: number; callType: string }) => void;
  retry: (event: { modelGroup: string; deploymentId: string | undefined; attempt: number; delayMs: number; error: Error }) => void;
  fallback: (event: { from: string; to: string; error: Error }) => void;
  cooldown: (event: { modelGroup: string; deploymentId: string; until: number; failures: number; error: Error }) => void;
  error: (error: Error) => void;
  /** Once, on the tick after `Router.fromConfig` returns: the config keys it ignored, with why (also `router.ignoredConfig`). */
  config: (event: { ignored: readonly IgnoredConfigKey[] }) => void;
}
