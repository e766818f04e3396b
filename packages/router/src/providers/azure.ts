import { RouterConfigError } from '../errors';
import { fromEnv } from './env';
import { OpenAiProvider, trimSlash } from './openai';

const ENV = { apiKey: ['AZURE_API_KEY'], apiBase: ['AZURE_API_BASE'], apiVersion: ['AZURE_API_VERSION'] } as const;

/** Azure OpenAI: `azure/<deployment>`, `apiBase` the resource endpoint, an `api-key` header (or `Authorization: Bearer` with `azureAdToken`) and `api-version`. */
export const azureProvider = new OpenAiProvider({
  name: 'azure',
  url: (target, operation) => {
    const base = target.apiBase ?? fromEnv(ENV.apiBase);
    if (!base) throw new RouterConfigError('apiBase', 'azure/ models need apiBase (or AZURE_API_BASE): https://<resource>.openai.azure.com');
    const version = target.apiVersion ?? fromEnv(ENV.apiVersion) ?? '2024-10-21';
    return `${trimSlash(base)}/openai/deployments/${encodeURIComponent(target.model)}/${operation}?api-version=${encodeURIComponent(version)}`;
  },
  headers: (target): Record<string, string> => {
    // An Entra ID token replaces the key (LiteLLM's azure_ad_token).
    if (target.azureAdToken) return { Authorization: `Bearer ${target.azureAdToken}` };
    const key = target.apiKey ?? fromEnv(ENV.apiKey);
    return key ? { 'api-key': key } : {};
  },
  sendsModel: false,
  // Azure OpenAI takes OpenAI's params; an api-version that lacks one answers 400 naming it.
  unsupportedParams: new Set(),
  envParams: ENV,
});
