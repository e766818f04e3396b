// Gemini models on Vertex AI (`generateContent`, `streamGenerateContent?alt=sse`), with an OAuth token from
// google-auth-library (an optional peer), which reads service-account keys and Application Default Credentials.
import { randomUUID } from 'node:crypto';
import { untilAborted } from '@llmcache/core/internal';
import type * as GoogleAuthSdk from 'google-auth-library';
import { APIConnectionError, BadRequestError, ProviderError, RouterConfigError } from '../errors';
import { fromEnv } from './env';
import { connectionError, readJson, readSse, send, type RequestContext } from './http';
import { dataUrl, imageUrlOf, parseArguments, stopList, textOf, usageOf } from './message-parts';
import { takeSettings } from './native-params';
import { trimSlash } from './openai';
import { requireOptional } from './optional-package';
import type { PlainChatCompletion, PlainChunk, PlainMessage, PlainToolCall, Provider, ProviderParams, ProviderTarget } from './provider';
import { parseStreamEvent } from './validate';
import { expectGeminiResponse } from './validate-native';

const PACKAGE = 'google-auth-library';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
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

type Part =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: Record<string, unknown> } }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

/** What Vertex AI answers (and streams, one of these per event). */
export interface GeminiResponse {
  candidates?: Array<{ content?: { parts?: Array<Partial<Record<string, any>>> }; finishReason?: string; index?: number }>;
  /** Set, without candidates, when the prompt itself was blocked. */
  promptFeedback?: { blockReason?: string };
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number; totalTokenCount?: number };
  modelVersion?: string;
  responseId?: string;
}

const FINISH_REASONS: Record<string, string> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
};

export class VertexProvider implements Provider {
  readonly name = 'vertex_ai';
  readonly unsupportedParams: ReadonlySet<string> = new Set(['logit_bias', 'logprobs', 'top_logprobs', 'parallel_tool_calls', 'user']);
  readonly envParams = ENV;

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const ctx = this.context(target);
    const response = await this.post(params, target, ctx, false);
    return fromGeminiResponse(expectGeminiResponse(await readJson(response, ctx), ctx), target.model);
  }

  async *chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    const ctx = this.context(target);
    const response = await this.post(params, target, ctx, true);
    const includeUsage = (params.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    let id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: PlainChunk['choices'][0]['delta'], finish: string | null = null): PlainChunk => ({
      id, object: 'chat.completion.chunk', created, model: target.model, choices: [{ index: 0, delta, finish_reason: finish }],
    });
    let started = false;
    let finished = false;
    let toolIndex = 0;
    let usage: GeminiResponse['usageMetadata'];
    for await (const event of readSse(response, ctx)) {
      const data = expectGeminiResponse(parseStreamEvent(event, ctx), ctx);
      if (!started) {
        started = true;
        if (data.responseId) id = `chatcmpl-${data.responseId}`;
        yield chunk({ role: 'assistant', content: '' });
      }
      usage = data.usageMetadata ?? usage;
      if (data.candidates === undefined && data.promptFeedback?.blockReason) {
        // A blocked prompt: no text, as LiteLLM answers it.
        finished = true;
        yield chunk({}, 'content_filter');
        break;
      }
      const candidate = data.candidates?.[0];
      for (const part of candidate?.content?.parts ?? []) {
        if (typeof part.text === 'string' && part.thought !== true) {
          if (part.text !== '') yield chunk({ content: part.text });
        } else if (part.functionCall) {
          // Gemini sends each call whole, in one part.
          yield chunk({ tool_calls: [{ index: toolIndex++, id: `call_${randomUUID()}`, type: 'function', function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) } }] });
        }
      }
      if (candidate?.finishReason) {
        finished = true;
        yield chunk({}, finishReasonOf(candidate.finishReason, toolIndex > 0));
      }
    }
    if (!finished) throw new APIConnectionError('stream ended before a finishReason', { status: 500, provider: this.name, model: target.model });
    if (includeUsage && usage) {
      yield { id, object: 'chat.completion.chunk', created, model: target.model, choices: [], usage: geminiUsage(usage) };
    }
  }

  textCompletion(): never {
    throw new BadRequestError('vertex_ai/ models answer chat only (generateContent); use completion() with messages', { status: 400, provider: this.name });
  }

  embedding(): never {
    throw new BadRequestError('vertex_ai/ embeddings are not supported; only Gemini chat through generateContent', { status: 400, provider: this.name });
  }

  transcription(): never {
    throw new BadRequestError('vertex_ai has no transcription API', { status: 400, provider: this.name });
  }

  private async post(params: ProviderParams, target: ProviderTarget, ctx: RequestContext, stream: boolean): Promise<Response> {
    const { settings, rest } = takeSettings(params, SETTINGS);
    const body = toGeminiRequest(rest, target.model);
    // GOOGLE_APPLICATION_CREDENTIALS in process.env is google-auth-library's own to read.
    const auth = this.auth(settings.vertexCredentials ?? fromEnv(ENV.vertexCredentials.slice(0, 2)), target);
    const project = stringSetting(settings.vertexProject, 'vertexProject') ?? fromEnv(ENV.vertexProject) ?? (await this.projectOf(auth, ctx));
    const location = stringSetting(settings.vertexLocation, 'vertexLocation') ?? fromEnv(ENV.vertexLocation) ?? DEFAULT_LOCATION;
    // The `global` location has no regional host.
    const host = location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
    const base = trimSlash(target.apiBase ?? fromEnv(ENV.apiBase) ?? host);
    const path = `/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/google/models/${encodeURIComponent(target.model)}`;
    const url = `${base}${path}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
    const headers = await this.authHeaders(auth, url, ctx);
    return send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, ...target.headers }, body: JSON.stringify(body) }, ctx);
  }

  /** One GoogleAuth per distinct credentials (in the router's pool): it caches the token and refreshes it before it expires. */
  private auth(credentials: unknown, target: ProviderTarget): GoogleAuthSdk.GoogleAuth {
    const key = typeof credentials === 'string' ? credentials : JSON.stringify(credentials ?? null);
    return target.clients.get(`vertex_ai:${key}`, () => {
      const sdk = requireOptional<typeof GoogleAuthSdk>(PACKAGE, 'vertex_ai');
      return new sdk.GoogleAuth({
        scopes: [SCOPE],
        ...credentialsOption(credentials),
        // Node's own fetch: gaxios would otherwise import node-fetch dynamically, which not every runtime allows (jest's VM).
        clientOptions: { transporterOptions: { fetchImplementation: fetch } },
      });
    });
  }

  /** The request's auth headers (a bearer token, and `x-goog-user-project` when the credentials name a quota project). */
  private async authHeaders(auth: GoogleAuthSdk.GoogleAuth, url: string, ctx: RequestContext): Promise<Record<string, string>> {
    let headers: Headers | Record<string, string>;
    try {
      headers = (await untilAborted(auth.getRequestHeaders(url), ctx.signal)) as Headers | Record<string, string>;
    } catch (err) {
      throw this.authError(err, ctx);
    }
    // google-auth-library 10 answers a Headers, 9 a plain object.
    return Object.fromEntries(headers instanceof Headers ? headers.entries() : Object.entries(headers));
  }

  private async projectOf(auth: GoogleAuthSdk.GoogleAuth, ctx: RequestContext): Promise<string> {
    try {
      return await untilAborted(auth.getProjectId(), ctx.signal);
    } catch (err) {
      throw new RouterConfigError('params.vertexProject', 'is not set, nor VERTEXAI_PROJECT, VERTEX_PROJECT or GOOGLE_CLOUD_PROJECT, and the credentials name no project: set vertexProject (vertex_project)', { cause: this.authError(err, ctx) });
    }
  }

  /** Credentials that cannot be read or exchanged: our timeout, a 401 for refused ones, a connection error otherwise. */
  private authError(err: unknown, ctx: RequestContext): ProviderError | RouterConfigError {
    if (ctx.signal.aborted) return connectionError(err, ctx);
    // Credentials that are not there or not readable are the config's fault: retrying will not help.
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT' || /could not load the default credentials|must be a valid|private key|client_email/i.test(String((err as Error)?.message))) {
      return new RouterConfigError('params.vertexCredentials', `cannot be used: ${(err as Error).message}`, { cause: err });
    }
    const status = (err as { response?: { status?: unknown }; status?: unknown })?.response?.status ?? (err as { status?: unknown })?.status;
    const message = `could not get a Google access token: ${(err as Error)?.message ?? String(err)}`;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return new ProviderError(message, { status: 401, provider: this.name, model: ctx.model, cause: err });
    }
    return new APIConnectionError(message, { status: 500, provider: this.name, model: ctx.model, cause: err });
  }

  private context(target: ProviderTarget): RequestContext {
    return { provider: this.name, model: target.model, signal: target.signal };
  }
}


function stringSetting(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new RouterConfigError(`params.${name}`, `must be a string, got ${typeof value}`);
  return value;
}

/**
 * `vertexCredentials` as LiteLLM takes it: a service-account (or other credentials) JSON, as an object or a
 * string, or the path of such a file; without it, Application Default Credentials.
 */
function credentialsOption(credentials: unknown): GoogleAuthSdk.GoogleAuthOptions {
  if (credentials === undefined || credentials === null) return {};
  if (typeof credentials === 'object' && !Array.isArray(credentials)) return { credentials: credentials as GoogleAuthSdk.GoogleAuthOptions['credentials'] };
  if (typeof credentials !== 'string') throw new RouterConfigError('params.vertexCredentials', `must be a credentials JSON (object or string) or the path of one, got ${typeof credentials}`);
  if (!credentials.trimStart().startsWith('{')) return { keyFilename: credentials };
  try {
    return { credentials: JSON.parse(credentials) as GoogleAuthSdk.GoogleAuthOptions['credentials'] };
  } catch (err) {
    throw new RouterConfigError('params.vertexCredentials', 'is neither valid JSON nor a file path', { cause: err });
  }
}

/** OpenAI chat params → a Gemini `generateContent` request. */
export function toGeminiRequest(params: ProviderParams, model: string): Record<string, unknown> {
  const {
    messages, max_tokens, max_completion_tokens, temperature, top_p, stop, n, seed, frequency_penalty, presence_penalty,
    response_format, tools, tool_choice, stream_options: _streamOptions, ...rest
  } = params as Record<string, any>;
  const system: string[] = [];
  const contents: Content[] = [];
  // Gemini names a function result by the function, not the call id.
  const functionNames = new Map<string, string>();
  const push = (role: Content['role'], parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const message of (messages ?? []) as PlainMessage[]) {
    if (message.role === 'system' || message.role === 'developer') {
      system.push(textOf(message.content));
    } else if (message.role === 'tool') {
      const name = functionNames.get(String(message.tool_call_id)) ?? String(message.name ?? message.tool_call_id);
      push('user', [{ functionResponse: { name, response: { content: textOf(message.content) } } }]);
    } else if (message.role === 'assistant') {
      const parts = geminiParts(message.content, model);
      for (const call of message.tool_calls ?? []) {
        functionNames.set(call.id, call.function.name);
        parts.push({ functionCall: { name: call.function.name, args: parseArguments(call.function.arguments) } });
      }
      push('model', parts);
    } else {
      push('user', geminiParts(message.content, model));
    }
  }
  const generationConfig: Record<string, unknown> = {};
  const maxTokens = max_tokens ?? max_completion_tokens;
  if (maxTokens !== undefined) generationConfig.maxOutputTokens = maxTokens;
  if (temperature !== undefined) generationConfig.temperature = temperature;
  if (top_p !== undefined) generationConfig.topP = top_p;
  if (n !== undefined) generationConfig.candidateCount = n;
  if (seed !== undefined) generationConfig.seed = seed;
  if (frequency_penalty !== undefined) generationConfig.frequencyPenalty = frequency_penalty;
  if (presence_penalty !== undefined) generationConfig.presencePenalty = presence_penalty;
  const stopSequences = stopList(stop);
  if (stopSequences) generationConfig.stopSequences = stopSequences;
  if (response_format?.type === 'json_object') generationConfig.responseMimeType = 'application/json';
  if (response_format?.type === 'json_schema') {
    generationConfig.responseMimeType = 'application/json';
    generationConfig.responseJsonSchema = response_format.json_schema?.schema;
  }
  const body: Record<string, unknown> = { ...rest, contents };
  if (system.length > 0) body.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  if (Object.keys(generationConfig).length > 0) body.generationConfig = { ...(rest.generationConfig as object | undefined), ...generationConfig };
  if (Array.isArray(tools) && tools.length > 0) {
    body.tools = [{
      functionDeclarations: tools.map((tool: { function: { name: string; description?: string; parameters?: unknown } }) => ({
        name: tool.function.name,
        ...(tool.function.description ? { description: tool.function.description } : {}),
        ...(tool.function.parameters ? { parameters: tool.function.parameters } : {}),
      })),
    }];
  }
  if (tool_choice !== undefined) body.toolConfig = { functionCallingConfig: functionCallingConfig(tool_choice) };
  return body;
}

function functionCallingConfig(choice: unknown): Record<string, unknown> {
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'required') return { mode: 'ANY' };
  const name = (choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  if (typeof name === 'string') return { mode: 'ANY', allowedFunctionNames: [name] };
  return { mode: 'AUTO' };
}

function geminiParts(content: PlainMessage['content'], model: string): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!content) return [];
  return content.flatMap((part): Part[] => {
    if (part.type === 'text') return part.text ? [{ text: part.text }] : [];
    if (part.type === 'image_url') {
      const url = imageUrlOf(part);
      const data = dataUrl(url);
      if (data) return [{ inlineData: { mimeType: data.mediaType, data: data.base64 } }];
      // Vertex reads gs:// and https:// files itself; it wants their type, which a URL's extension tells.
      const mimeType = /\.png$/i.test(url) ? 'image/png' : /\.webp$/i.test(url) ? 'image/webp' : /\.gif$/i.test(url) ? 'image/gif' : /\.jpe?g$/i.test(url) ? 'image/jpeg' : undefined;
      if (!mimeType) throw new BadRequestError('vertex_ai takes images as data URLs or gs:// / https:// URLs ending in .png, .jpg, .jpeg, .gif or .webp', { status: 400, provider: 'vertex_ai', model });
      return [{ fileData: { mimeType, fileUri: url } }];
    }
    return [];
  });
}

function finishReasonOf(reason: string | undefined, calledTools: boolean): string {
  if (calledTools && (reason === undefined || reason === 'STOP')) return 'tool_calls';
  return FINISH_REASONS[reason ?? 'STOP'] ?? reason?.toLowerCase() ?? 'stop';
}

function geminiUsage(usage: NonNullable<GeminiResponse['usageMetadata']>) {
  return usageOf(usage.promptTokenCount ?? 0, usage.candidatesTokenCount ?? 0, usage.totalTokenCount);
}

/**
 * A Gemini answer → an OpenAI chat completion (one choice per candidate). A blocked prompt, or a candidate
 * stopped for safety without text, is a `content_filter` choice with no content, as LiteLLM makes it.
 */
export function fromGeminiResponse(response: GeminiResponse, model: string): PlainChatCompletion {
  const candidates = response.candidates ?? (response.promptFeedback?.blockReason ? [{ finishReason: 'SAFETY' }] : []);
  const choices = candidates.map((candidate, i) => {
    const parts = candidate.content?.parts ?? [];
    const text = parts.filter((part) => typeof part.text === 'string' && part.thought !== true).map((part) => part.text as string).join('');
    const toolCalls: PlainToolCall[] = parts
      .filter((part) => part.functionCall)
      .map((part) => ({ id: `call_${randomUUID()}`, type: 'function', function: { name: String(part.functionCall.name), arguments: JSON.stringify(part.functionCall.args ?? {}) } }));
    const finishReason = finishReasonOf(candidate.finishReason, toolCalls.length > 0);
    const empty = text === '' && (toolCalls.length > 0 || finishReason === 'content_filter');
    return {
      index: candidate.index ?? i,
      message: { role: 'assistant' as const, content: empty ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
      finish_reason: finishReason,
    };
  });
  return {
    id: `chatcmpl-${response.responseId ?? randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: response.modelVersion ?? model,
    choices,
    ...(response.usageMetadata ? { usage: geminiUsage(response.usageMetadata) } : {}),
  };
}

export const vertexProvider = new VertexProvider();
