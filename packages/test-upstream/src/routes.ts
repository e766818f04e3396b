// Which endpoint a method and path address.

export type Endpoint = 'chat' | 'completions' | 'embeddings' | 'transcriptions' | 'messages';

export interface Route {
  endpoint: Endpoint;
  /** Error body shape and authentication headers: OpenAI/Azure or Anthropic. */
  flavor: 'openai' | 'anthropic';
  /** Azure deployment name from the path (the request's model), undefined on OpenAI and Anthropic paths. */
  deployment: string | undefined;
}

const OPENAI_PATHS: Record<string, Endpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/audio/transcriptions': 'transcriptions',
};

const AZURE_SUFFIXES: Record<string, Endpoint> = {
  'chat/completions': 'chat',
  completions: 'completions',
  embeddings: 'embeddings',
  'audio/transcriptions': 'transcriptions',
};

const AZURE_PATH = /^\/openai\/deployments\/([^/]+)\/(.+)$/;

/** The route of a request, or undefined for an unknown path or a method other than POST. */
export function matchRoute(method: string, path: string): Route | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/v1/messages') return { endpoint: 'messages', flavor: 'anthropic', deployment: undefined };
  const openai = OPENAI_PATHS[path];
  if (openai !== undefined) return { endpoint: openai, flavor: 'openai', deployment: undefined };
  const azure = AZURE_PATH.exec(path);
  const endpoint = azure?.[2] === undefined ? undefined : AZURE_SUFFIXES[azure[2]];
  if (azure?.[1] === undefined || endpoint === undefined) return undefined;
  let deployment: string;
  try {
    deployment = decodeURIComponent(azure[1]);
  } catch {
    return undefined;
  }
  return { endpoint, flavor: 'openai', deployment };
}
