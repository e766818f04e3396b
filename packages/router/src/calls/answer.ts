import type { Deployment } from '../dispatch/deployment';
import type { ProviderTarget } from '../providers';
import type { Usage } from '../types';
import type { CallContext } from './context';
import type { Stored } from './lookup';
import type { PreparedCall } from './prepared-call';
import { estimateTokens } from './responses';

/** The request's `mockResponse`, else the deployment's: text to answer without calling the provider. */
export function mockResponseFor(deployment: Deployment, request: Record<string, unknown>): string | undefined {
  return (request.mockResponse ?? deployment.params.mockResponse) as string | undefined;
}

/** Routes a chat or text call and returns the answer with the deployment that gave it; `mockResponse` answers locally. */
export async function answer<T extends { usage?: Usage }>(
  ctx: CallContext,
  call: PreparedCall,
  promptText: string,
  signal: AbortSignal,
  mock: (text: string, providerModel: string) => T,
  real: (deployment: Deployment, target: ProviderTarget) => Promise<T>,
): Promise<Stored<T>> {
  const { value, deployment } = await ctx.dispatcher.execute(
    call,
    estimateTokens(promptText),
    (d, target) => {
      const text = mockResponseFor(d, call.request);
      return text === undefined ? real(d, target) : Promise.resolve(mock(text, d.providerModel));
    },
    (v) => v.usage?.total_tokens,
    { signal },
  );
  return { response: value, deploymentId: deployment.id, modelGroup: deployment.modelGroup };
}
