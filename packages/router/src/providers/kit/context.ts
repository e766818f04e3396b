// What every request of one call carries to the HTTP helpers, validators and errors: which provider and
// model it is for (to name them in errors) and the call's abort signal.
import type { ProviderParams, ProviderTarget } from '../provider';

export interface RequestContext {
  provider: string;
  model: string;
  signal: AbortSignal;
}

/** The context of one call of `provider` to `target`. */
export function requestContext(provider: string, target: ProviderTarget): RequestContext {
  return { provider, model: target.model, signal: target.signal };
}

/** Whether a stream should end with a usage chunk (`stream_options.include_usage`), as OpenAI's do. */
export function wantsUsage(params: ProviderParams): boolean {
  return (params.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
}
