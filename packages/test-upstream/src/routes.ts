// Which endpoint a method and path address.

export type Endpoint =
  | 'chat'
  | 'completions'
  | 'embeddings'
  | 'transcriptions'
  | 'messages'
  | 'converse'
  | 'converse-stream'
  | 'generate-content'
  | 'stream-generate-content'
  | 'ollama-generate'
  | 'ollama-chat'
  | 'ollama-embed';

export interface Route {
  endpoint: Endpoint;
  /** Error body shape and authentication headers: OpenAI/Azure, Anthropic, Bedrock, Vertex AI or Ollama. */
  flavor: 'openai' | 'anthropic' | 'bedrock' | 'vertex' | 'ollama';
  /** The model named by the path (Azure deployment, Bedrock model id, Vertex model); undefined when the body names it. */
  deployment: string | undefined;
  /** Whether the endpoint always streams (Bedrock ConverseStream, Vertex streamGenerateContent); else the body's `stream` says. */
  streams?: boolean;
  /** Whether it streams unless the body says `stream: false` (Ollama's generate and chat). */
  streamsByDefault?: boolean;
}

/** Ollama's native API, under the server root. */
const OLLAMA_PATHS: Record<string, Route> = {
  '/api/generate': { endpoint: 'ollama-generate', flavor: 'ollama', deployment: undefined, streamsByDefault: true },
  '/api/chat': { endpoint: 'ollama-chat', flavor: 'ollama', deployment: undefined, streamsByDefault: true },
  '/api/embed': { endpoint: 'ollama-embed', flavor: 'ollama', deployment: undefined },
};

/** Bedrock Runtime: `/model/{modelId}/converse` and `/model/{modelId}/converse-stream`. */
const BEDROCK_PATH = /^\/model\/([^/]+)\/(converse|converse-stream)$/;

/** Vertex AI: `/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}`. */
const VERTEX_PATH = /^\/v1(?:beta1)?\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/** Google's OAuth 2.0 token endpoint, as a service account's `token_uri` or an external account's `token_url` names it. */
export const TOKEN_PATH = '/token';

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const OPENAI_PATHS: Record<string, Endpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/audio/transcriptions': 'transcriptions',
  // Google AI Studio's OpenAI-compatible API for Gemini models.
  '/v1beta/openai/chat/completions': 'chat',
  '/v1beta/openai/embeddings': 'embeddings',
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
  const ollama = Object.hasOwn(OLLAMA_PATHS, path) ? OLLAMA_PATHS[path] : undefined;
  if (ollama) return { ...ollama };
  const bedrock = BEDROCK_PATH.exec(path);
  if (bedrock) {
    const modelId = decoded(bedrock[1]!);
    const streams = bedrock[2] === 'converse-stream';
    return modelId === undefined ? undefined : { endpoint: streams ? 'converse-stream' : 'converse', flavor: 'bedrock', deployment: modelId, streams };
  }
  const vertex = VERTEX_PATH.exec(path);
  if (vertex) {
    const model = decoded(vertex[1]!);
    const streams = vertex[2] === 'streamGenerateContent';
    return model === undefined
      ? undefined
      : { endpoint: streams ? 'stream-generate-content' : 'generate-content', flavor: 'vertex', deployment: model, streams };
  }
  const openai = Object.hasOwn(OPENAI_PATHS, path) ? OPENAI_PATHS[path] : undefined;
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
