// LiteLLM's `drop_params`: a deployment that drops params sends its provider only the OpenAI params it
// accepts. The cache key is built from the request's params before this, so it is the same with and without.
import type { Deployment } from './deployments';
import type { ProviderParams } from './providers';

/** `params` without the ones the deployment's provider refuses, when the deployment drops params; else `params` itself. */
export function withoutRefusedParams(params: ProviderParams, deployment: Pick<Deployment, 'dropParams' | 'provider'>): ProviderParams {
  const refused = deployment.provider.unsupportedParams;
  if (!deployment.dropParams || refused.size === 0) return params;
  const out: ProviderParams = {};
  for (const name in params) if (!refused.has(name)) out[name] = params[name];
  return out;
}
