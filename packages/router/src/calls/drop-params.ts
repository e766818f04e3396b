// LiteLLM's `drop_params`: a deployment (or a single request) that drops params sends its provider only the
// OpenAI params it accepts. The cache key is built from the request's params before this, so it is the same
// with and without, and `drop_params` itself is no part of it.
import type { Deployment } from '../dispatch/deployment';
import type { ProviderParams } from '../providers';

/**
 * `params` without the ones the deployment's provider refuses, when the call drops params (the request's
 * `drop_params` when it gives one, else the deployment's); else `params` itself.
 */
export function withoutRefusedParams(
  params: ProviderParams,
  deployment: Pick<Deployment, 'dropParams' | 'provider'>,
  requested: boolean | undefined,
): ProviderParams {
  const refused = deployment.provider.unsupportedParams;
  if (!(requested ?? deployment.dropParams) || refused.size === 0) return params;
  const out: ProviderParams = {};
  for (const name in params) if (!refused.has(name)) out[name] = params[name];
  return out;
}
