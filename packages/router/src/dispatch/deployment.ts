import type PQueue from 'p-queue';
import type { Provider } from '../providers';
import type { DeploymentParams } from '../types';

/** One deployment of a model group, ready to call. */
export interface Deployment {
  id: string;
  modelGroup: string;
  params: DeploymentParams;
  provider: Provider;
  /** The provider's model name, e.g. `gpt-4o` for `openai/gpt-4o`. */
  providerModel: string;
  /** Relative share for simple-shuffle. */
  weight: number | undefined;
  /** Caps calls in flight when `maxParallelRequests` is set. */
  queue: PQueue | undefined;
  /** HTTP headers of every call: `extra_headers`/`headers` and `organization` of the params. */
  headers: Readonly<Record<string, string>>;
  /** Whether the OpenAI params its provider refuses are dropped rather than sent (LiteLLM's `drop_params`). */
  dropParams: boolean;
}

/**
 * Holds a slot of the deployment's `maxParallelRequests` until the returned function is called. An abort
 * while waiting leaves the queue at once (rejecting with the signal's reason); one while holding frees the slot.
 */
export function takeSlot(deployment: Deployment, signal: AbortSignal): Promise<() => void> {
  const queue = deployment.queue;
  if (!queue) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    queue.add(() => new Promise<void>((release) => resolve(release)), { signal }).catch(reject);
  });
}
