import { BadRequestError } from '../errors';
import { readJson, readSse, send, type RequestContext } from './http';
import { requestContext } from './kit/context';
import { streamEndedEarly } from './kit/stream-errors';
import type {
  PlainChatCompletion,
  PlainChunk,
  PlainEmbeddingResponse,
  PlainTextCompletion,
  PlainTranscription,
  Provider,
  ProviderParams,
  ProviderTarget,
  TranscriptionUpload,
} from './provider';
import { callRefused } from './unsupported-call';
import {
  expectChatChunk,
  expectChatCompletion,
  expectEmbeddings,
  expectTextChunk,
  expectTextCompletion,
  expectTranscription,
  parseStreamEvent,
} from './validate';

export type OpenAiOperation = 'chat/completions' | 'completions' | 'embeddings' | 'audio/transcriptions';

/** How an OpenAI-compatible API is addressed: the hosted providers and Azure OpenAI differ in URL, auth header and what they serve. */
export interface OpenAiDialect {
  name: string;
  url(target: ProviderTarget, operation: OpenAiOperation): string;
  headers(target: ProviderTarget): Record<string, string>;
  /** Whether the body carries `model` (Azure takes it from the URL). */
  sendsModel: boolean;
  /** The operations the API has; any other is refused before a request is made. @default all of them */
  serves?: ReadonlySet<OpenAiOperation>;
  /** OpenAI params the API refuses (see `Provider.unsupportedParams`). @default none */
  unsupportedParams?: ReadonlySet<string>;
  /** Params the API takes under another name: sent renamed, unless the caller also gave the new name. @default none */
  renames?: Readonly<Record<string, string>> | undefined;
  /** See `Provider.envParams`. */
  envParams?: Readonly<Record<string, readonly string[]>>;
}

/** `body` with each param of `renames` under its new name (a param the caller gave under the new name wins). */
function renamed(body: ProviderParams, renames: Readonly<Record<string, string>> | undefined): ProviderParams {
  if (!renames) return body;
  const out: ProviderParams = { ...body };
  for (const [from, to] of Object.entries(renames)) {
    if (out[from] === undefined) continue;
    out[to] ??= out[from];
    delete out[from];
  }
  return out;
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Any OpenAI-compatible API (OpenAI, vLLM, Ollama's /v1, LM Studio, a test server) through `fetch`. */
export class OpenAiProvider implements Provider {
  readonly name: string;
  readonly unsupportedParams: ReadonlySet<string>;
  readonly envParams: Readonly<Record<string, readonly string[]>> | undefined;
  constructor(private readonly dialect: OpenAiDialect) {
    this.name = dialect.name;
    this.unsupportedParams = dialect.unsupportedParams ?? new Set();
    this.envParams = dialect.envParams;
  }

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const ctx = this.context(target);
    const response = await this.post(target, 'chat/completions', { ...params, stream: false }, ctx);
    return expectChatCompletion(await readJson(response, ctx), ctx);
  }

  chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    return this.stream(target, 'chat/completions', params, expectChatChunk);
  }

  async textCompletion(params: ProviderParams, target: ProviderTarget): Promise<PlainTextCompletion> {
    const ctx = this.context(target);
    const response = await this.post(target, 'completions', { ...params, stream: false }, ctx);
    return expectTextCompletion(await readJson(response, ctx), ctx);
  }

  /** A streamed text completion's chunks, as the API sends them (used to stream chat on instruct models). */
  textCompletionStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainTextCompletion> {
    return this.stream(target, 'completions', params, expectTextChunk);
  }

  /** An SSE stream of `operation`, each event checked by `expect`; one that ends before `[DONE]` broke off. */
  private async *stream<T>(
    target: ProviderTarget,
    operation: OpenAiOperation,
    params: ProviderParams,
    expect: (value: unknown, ctx: RequestContext) => T,
  ): AsyncGenerator<T> {
    const ctx = this.context(target);
    const response = await this.post(target, operation, { ...params, stream: true }, ctx);
    let done = false;
    for await (const event of readSse(response, ctx)) {
      if (event.data === '[DONE]') {
        done = true;
        break;
      }
      yield expect(parseStreamEvent(event, ctx), ctx);
    }
    if (!done) throw streamEndedEarly(ctx, '[DONE]');
  }

  async embedding(params: ProviderParams, target: ProviderTarget): Promise<PlainEmbeddingResponse> {
    const ctx = this.context(target);
    const response = await this.post(target, 'embeddings', params, ctx);
    return expectEmbeddings(await readJson(response, ctx), ctx);
  }

  async transcription(upload: TranscriptionUpload, target: ProviderTarget): Promise<PlainTranscription> {
    const ctx = this.context(target);
    this.assertServes('audio/transcriptions', target);
    const form = new FormData();
    form.set('file', upload.file, upload.fileName);
    if (this.dialect.sendsModel) form.set('model', target.model);
    for (const [name, value] of Object.entries(upload.params)) {
      // Arrays go as repeated `name[]` fields (timestamp_granularities[]), as OpenAI's form API expects.
      if (Array.isArray(value)) for (const item of value) form.append(`${name}[]`, String(item));
      else if (value !== undefined) form.set(name, typeof value === 'string' ? value : JSON.stringify(value));
    }
    const response = await send(
      this.dialect.url(target, 'audio/transcriptions'),
      { method: 'POST', headers: { ...this.dialect.headers(target), ...target.headers }, body: form },
      ctx,
    );
    const type = response.headers.get('content-type') ?? '';
    // response_format text/srt/vtt answers plain text
    if (!type.includes('json')) return { text: await response.text() };
    return expectTranscription(await readJson(response, ctx), ctx);
  }

  /** A call the API does not have is the request's fault: a 400, never retried, never sent. */
  private assertServes(operation: OpenAiOperation, target: ProviderTarget): void {
    if (this.dialect.serves && !this.dialect.serves.has(operation)) {
      throw callRefused(this.name, `/${operation}`, { model: target.model });
    }
  }

  private post(target: ProviderTarget, operation: OpenAiOperation, body: ProviderParams, ctx: RequestContext): Promise<Response> {
    this.assertServes(operation, target);
    if (!target.model) throw new BadRequestError('model is empty', { status: 400, provider: this.name });
    const payload = this.dialect.sendsModel ? { model: target.model, ...renamed(body, this.dialect.renames) } : renamed(body, this.dialect.renames);
    return send(
      this.dialect.url(target, operation),
      { method: 'POST', headers: { 'content-type': 'application/json', ...this.dialect.headers(target), ...target.headers }, body: JSON.stringify(payload) },
      ctx,
    );
  }

  private context(target: ProviderTarget): RequestContext {
    return requestContext(this.name, target);
  }
}
