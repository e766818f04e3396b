// Gemini models on Vertex AI (`generateContent`, `streamGenerateContent?alt=sse`), with an OAuth token
// from google-auth-library (auth.ts).
import { RouterConfigError } from '../../errors';
import { fromEnv } from '../env';
import { readJson, readSse, send, type RequestContext } from '../http';
import { requestContext, wantsUsage } from '../kit/context';
import { takeSettings } from '../kit/native-params';
import { trimSlash } from '../openai';
import type { PlainChatCompletion, PlainChunk, Provider, ProviderParams, ProviderTarget } from '../provider';
import { authHeaders, googleAuth, projectOf } from './auth';
import { toGeminiRequest } from './request';
import { fromGeminiResponse } from './response';
import { geminiChunks } from './stream';
import { expectGeminiResponse } from './validate';

/** Vertex AI's region when none is set, as LiteLLM has it. */
const DEFAULT_LOCATION = 'us-central1';

/** Deployment params that say where and as whom to call Vertex AI (LiteLLM's `vertex_*` names are accepted too). */
const SETTINGS = ['vertexProject', 'vertexLocation', 'vertexCredentials'] as const;

/**
 * The variables LiteLLM reads for each setting when a deployment does not give it; without credentials,
 * google-auth-library's Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's, the
 * metadata server). A config's `environment_variables` set them as deployment params.
 */
const ENV = {
  vertexProject: ['VERTEXAI_PROJECT', 'VERTEX_PROJECT', 'GOOGLE_CLOUD_PROJECT'],
  vertexLocation: ['VERTEXAI_LOCATION', 'VERTEX_LOCATION'],
  vertexCredentials: ['VERTEXAI_CREDENTIALS', 'VERTEX_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS'],
  apiBase: ['VERTEXAI_API_BASE', 'VERTEX_API_BASE'],
} as const;

/** Chat only (Gemini's generateContent): no text completion, embeddings or transcription. */
export class VertexProvider implements Provider {
  readonly name = 'vertex_ai';
  readonly unsupportedParams: ReadonlySet<string> = new Set(['logit_bias', 'logprobs', 'top_logprobs', 'parallel_tool_calls', 'user']);
  readonly envParams = ENV;

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const ctx = requestContext(this.name, target);
    const response = await this.post(params, target, ctx, false);
    return fromGeminiResponse(expectGeminiResponse(await readJson(response, ctx), ctx), target.model);
  }

  async *chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    const ctx = requestContext(this.name, target);
    const response = await this.post(params, target, ctx, true);
    yield* geminiChunks(readSse(response, ctx), ctx, wantsUsage(params));
  }

  private async post(params: ProviderParams, target: ProviderTarget, ctx: RequestContext, stream: boolean): Promise<Response> {
    const { settings, rest } = takeSettings(params, SETTINGS);
    const body = toGeminiRequest(rest, target.model);
    // GOOGLE_APPLICATION_CREDENTIALS in process.env is google-auth-library's own to read.
    const auth = googleAuth(settings.vertexCredentials ?? fromEnv(ENV.vertexCredentials.slice(0, 2)), target);
    const project = stringSetting(settings.vertexProject, 'vertexProject') ?? fromEnv(ENV.vertexProject) ?? (await projectOf(auth, ctx));
    const location = stringSetting(settings.vertexLocation, 'vertexLocation') ?? fromEnv(ENV.vertexLocation) ?? DEFAULT_LOCATION;
    // The `global` location has no regional host.
    const host = location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
    const base = trimSlash(target.apiBase ?? fromEnv(ENV.apiBase) ?? host);
    const path = `/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/google/models/${encodeURIComponent(target.model)}`;
    const url = `${base}${path}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
    const headers = await authHeaders(auth, url, ctx);
    return send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, ...target.headers }, body: JSON.stringify(body) }, ctx);
  }
}

function stringSetting(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new RouterConfigError(`params.${name}`, `must be a string, got ${typeof value}`);
  return value;
}

export const vertexProvider = new VertexProvider();
