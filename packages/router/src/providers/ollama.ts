// Ollama's native API, as LiteLLM calls it: `ollama/` sends a chat as one prompt to /api/generate (in
// LiteLLM's `### User:` template), `ollama_chat/` sends the messages to /api/chat; both send text
// completions to /api/generate and embeddings to /api/embed. Ollama streams newline-delimited JSON, not
// SSE: one object per line, the last with `done: true`, its `done_reason` and the token counts.
import { randomUUID } from 'node:crypto';
import { APIConnectionError, BadRequestError, errorForStreamEvent } from '../errors';
import { fromEnv } from './env';
import { readJson, readNdjson, send, type RequestContext } from './http';
import { dataUrl, imageUrlOf, parseArguments, stopList, textOf, usageOf } from './message-parts';
import { refusedBesides } from './openai-params';
import { trimSlash } from './openai';
import type { PlainChatCompletion, PlainChunk, PlainEmbeddingResponse, PlainMessage, PlainTextCompletion, PlainToolCall, Provider, ProviderParams, ProviderTarget } from './provider';
import { expectOllamaChat, expectOllamaEmbed, expectOllamaGenerate, type OllamaAnswer } from './validate-native';

/** Where Ollama listens when neither `apiBase` nor `OLLAMA_API_BASE` says otherwise (LiteLLM's default). */
const DEFAULT_BASE = 'http://localhost:11434';

/** The variables LiteLLM reads for an Ollama deployment's endpoint and (for a server behind a proxy) key. */
const ENV = { apiBase: ['OLLAMA_API_BASE'], apiKey: ['OLLAMA_API_KEY'] } as const;

/** Request fields Ollama reads at the top level; every other param goes into `options`, as LiteLLM sends them. */
const TOP_LEVEL = new Set(['format', 'keep_alive', 'think', 'raw', 'suffix', 'system', 'template', 'context', 'images', 'tools', 'truncate', 'dimensions']);

/** OpenAI params LiteLLM translates for Ollama (its `get_supported_openai_params`); `drop_params` drops the others. */
const GENERATE_PARAMS = ['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'seed', 'frequency_penalty', 'stop', 'response_format'];
const CHAT_PARAMS = [...GENERATE_PARAMS, 'tools', 'tool_choice', 'functions'];

type Api = 'generate' | 'chat';

interface OllamaMessage {
  role: string;
  content: string;
  images?: string[];
  tool_calls?: Array<{ function: { name: string; arguments: Record<string, unknown> } }>;
  tool_name?: string;
}

export class OllamaProvider implements Provider {
  readonly unsupportedParams: ReadonlySet<string>;
  readonly envParams = ENV;

  /** @param api Where chat goes: one prompt to /api/generate (`ollama/`), or the messages to /api/chat (`ollama_chat/`). */
  constructor(readonly name: 'ollama' | 'ollama_chat', private readonly api: Api) {
    this.unsupportedParams = refusedBesides(api === 'chat' ? CHAT_PARAMS : GENERATE_PARAMS);
  }

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const ctx = this.context(target);
    const response = await this.post(this.api, this.chatBody(params, target.model, false), target, ctx);
    const answer = await readJson<unknown>(response, ctx);
    const checked = this.api === 'chat' ? expectOllamaChat(answer, ctx) : expectOllamaGenerate(answer, ctx);
    const text = this.api === 'chat' ? (checked.message?.content ?? '') : (checked.response ?? '');
    const toolCalls = toolCallsOf(checked);
    return {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: createdOf(checked),
      model: checked.model ?? target.model,
      choices: [{
        index: 0,
        message: { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: finishReasonOf(checked.done_reason, toolCalls.length > 0),
      }],
      ...usageFields(checked),
    };
  }

  async *chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    const ctx = this.context(target);
    const response = await this.post(this.api, this.chatBody(params, target.model, true), target, ctx);
    const includeUsage = (params.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const id = `chatcmpl-${randomUUID()}`;
    let created = Math.floor(Date.now() / 1000);
    let model = target.model;
    const chunk = (delta: PlainChunk['choices'][0]['delta'], finish: string | null = null): PlainChunk => ({
      id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }],
    });
    let started = false;
    let toolIndex = 0;
    for await (const line of readNdjson(response, ctx)) {
      const data = this.api === 'chat' ? expectOllamaChat(parseLine(line, ctx), ctx) : expectOllamaGenerate(parseLine(line, ctx), ctx);
      if (!started) {
        started = true;
        created = createdOf(data);
        model = data.model ?? model;
        yield chunk({ role: 'assistant', content: '' });
      }
      const text = this.api === 'chat' ? data.message?.content : data.response;
      if (text) yield chunk({ content: text });
      // Ollama sends each tool call whole, in one line.
      for (const call of toolCallsOf(data)) yield chunk({ tool_calls: [{ index: toolIndex++, ...call }] });
      if (data.done === true) {
        yield chunk({}, finishReasonOf(data.done_reason, toolIndex > 0));
        if (includeUsage) {
          const usage = usageFields(data).usage;
          if (usage) yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage };
        }
        return;
      }
    }
    throw new APIConnectionError('stream ended before a line with done: true', { status: 500, provider: this.name, model: target.model });
  }

  async textCompletion(params: ProviderParams, target: ProviderTarget): Promise<PlainTextCompletion> {
    const ctx = this.context(target);
    const { prompt, ...rest } = params;
    const text = Array.isArray(prompt) ? prompt.map(String).join('\n') : String(prompt ?? '');
    const response = await this.post('generate', { ...ollamaFields(rest, target.model, this.name), prompt: text, stream: false }, target, ctx);
    const answer = expectOllamaGenerate(await readJson(response, ctx), ctx);
    return {
      id: `cmpl-${randomUUID()}`,
      object: 'text_completion',
      created: createdOf(answer),
      model: answer.model ?? target.model,
      choices: [{ text: answer.response ?? '', index: 0, logprobs: null, finish_reason: finishReasonOf(answer.done_reason, false) }],
      ...usageFields(answer),
    };
  }

  async embedding(params: ProviderParams, target: ProviderTarget): Promise<PlainEmbeddingResponse> {
    const ctx = this.context(target);
    const { input, encoding_format: _encoding, ...rest } = params;
    const inputs = Array.isArray(input) ? input : [input];
    const response = await this.post('embed', { ...ollamaFields(rest, target.model, this.name), input: inputs }, target, ctx);
    const answer = expectOllamaEmbed(await readJson(response, ctx), inputs.length, ctx);
    const tokens = answer.prompt_eval_count ?? 0;
    return {
      object: 'list',
      data: answer.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      model: answer.model ?? target.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }

  transcription(): never {
    throw new BadRequestError(`${this.name} has no transcription API`, { status: 400, provider: this.name });
  }

  /** The /api/generate or /api/chat body of a chat request. */
  private chatBody(params: ProviderParams, model: string, stream: boolean): Record<string, unknown> {
    const { messages, tools, tool_choice: _toolChoice, functions, stream_options: _streamOptions, ...rest } = params;
    const list = (Array.isArray(messages) ? messages : []) as PlainMessage[];
    if (this.api === 'chat') {
      const toolList = tools ?? functionsAsTools(functions);
      // tool_choice is not sent: Ollama has none, and LiteLLM leaves it out (it made requests hang).
      return { ...ollamaFields(rest, model, this.name), messages: chatMessages(list, model, this.name), ...(toolList === undefined ? {} : { tools: toolList }), stream };
    }
    if (tools !== undefined || functions !== undefined) {
      throw new BadRequestError('ollama/ models answer on /api/generate, which takes no tools: use ollama_chat/, or dropParams to drop them', { status: 400, provider: this.name, model });
    }
    const { prompt, images } = generatePrompt(list, model, this.name);
    return { ...ollamaFields(rest, model, this.name), prompt, ...(images.length > 0 ? { images } : {}), stream };
  }

  private post(path: 'generate' | 'chat' | 'embed', body: Record<string, unknown>, target: ProviderTarget, ctx: RequestContext): Promise<Response> {
    if (!target.model) throw new BadRequestError('model is empty', { status: 400, provider: this.name });
    const key = target.apiKey ?? fromEnv(ENV.apiKey);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
    return send(`${rootOf(target.apiBase ?? fromEnv(ENV.apiBase) ?? DEFAULT_BASE)}/api/${path}`, { method: 'POST', headers: { ...headers, ...target.headers }, body: JSON.stringify(body) }, ctx);
  }

  private context(target: ProviderTarget): RequestContext {
    return { provider: this.name, model: target.model, signal: target.signal };
  }
}

/** The server root of an endpoint: LiteLLM also takes a base that already ends in `/api/generate` (or chat, embed). */
function rootOf(base: string): string {
  return trimSlash(base).replace(/\/api\/(generate|chat|embed)$/, '');
}

/**
 * OpenAI params → Ollama's request fields: `max_tokens` is `options.num_predict`, `response_format` is
 * `format` (`json` or the schema); Ollama's own top-level fields stay there, and every other param goes into
 * `options` (`temperature`, `seed`, `num_ctx`, `top_k`, …) over the caller's own `options`.
 */
function ollamaFields(params: ProviderParams, model: string, provider: string): Record<string, unknown> {
  const { options, max_tokens, max_completion_tokens, response_format, stop, n, ...rest } = params as Record<string, any>;
  if (n !== undefined && n !== 1) throw new BadRequestError('ollama answers one choice per call (n must be 1)', { status: 400, provider, model });
  const top: Record<string, unknown> = { model };
  const opts: Record<string, unknown> = { ...(typeof options === 'object' && options !== null ? options : {}) };
  for (const [name, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    if (TOP_LEVEL.has(name)) top[name] = value;
    else opts[name] = value;
  }
  const maxTokens = max_completion_tokens ?? max_tokens;
  if (maxTokens !== undefined) opts.num_predict = maxTokens;
  const stops = stopList(stop);
  if (stops) opts.stop = stops;
  if (response_format?.type === 'json_object') top.format = 'json';
  else if (response_format?.type === 'json_schema' && response_format.json_schema?.schema) top.format = response_format.json_schema.schema;
  if (Object.keys(opts).length > 0) top.options = opts;
  return top;
}

/** The base64 images of a message's `image_url` parts: Ollama takes the bytes, not a URL to fetch. */
function imagesOf(content: PlainMessage['content'], model: string, provider: string): string[] {
  if (!Array.isArray(content)) return [];
  return content.filter((part) => part.type === 'image_url').map((part) => {
    const data = dataUrl(imageUrlOf(part));
    if (!data) throw new BadRequestError('ollama takes images as data URLs (data:image/png;base64,…)', { status: 400, provider, model });
    return data.base64;
  });
}

/**
 * LiteLLM's prompt for /api/generate: consecutive user (and tool) messages as one `### User:` block, system
 * messages as `### System:`, assistant messages (with their tool calls) as `### Assistant:`.
 */
function generatePrompt(messages: readonly PlainMessage[], model: string, provider: string): { prompt: string; images: string[] } {
  let prompt = '';
  const images: string[] = [];
  const block = (title: string, text: string) => {
    if (text !== '') prompt += `### ${title}:\n${text}\n\n`;
  };
  let i = 0;
  while (i < messages.length) {
    let user = '';
    while (i < messages.length && ['user', 'tool', 'function'].includes(messages[i]!.role)) {
      user += textOf(messages[i]!.content);
      images.push(...imagesOf(messages[i]!.content, model, provider));
      i++;
    }
    block('User', user);
    let system = '';
    while (i < messages.length && (messages[i]!.role === 'system' || messages[i]!.role === 'developer')) system += textOf(messages[i++]!.content);
    block('System', system);
    let assistant = '';
    while (i < messages.length && messages[i]!.role === 'assistant') {
      const message = messages[i++]!;
      assistant += textOf(message.content);
      const calls = (message.tool_calls ?? []).map((call) => ({ id: call.id, type: 'function', function: { name: call.function.name, arguments: parseArguments(call.function.arguments) } }));
      if (calls.length > 0) assistant += `Tool Calls: ${JSON.stringify(calls, null, 2)}`;
    }
    block('Assistant', assistant);
    if (i < messages.length && !['user', 'tool', 'function', 'system', 'developer', 'assistant'].includes(messages[i]!.role)) {
      throw new BadRequestError(`messages[${i}]: role "${String(messages[i]!.role)}" is not a chat role`, { status: 400, provider, model });
    }
  }
  return { prompt, images };
}

/** OpenAI messages → /api/chat messages: text content, base64 `images`, tool calls with object arguments. */
function chatMessages(messages: readonly PlainMessage[], model: string, provider: string): OllamaMessage[] {
  // A tool result names its function, which Ollama reads as `tool_name`.
  const functionNames = new Map<string, string>();
  return messages.map((message) => {
    const out: OllamaMessage = { role: message.role === 'developer' ? 'system' : message.role, content: textOf(message.content) };
    const images = imagesOf(message.content, model, provider);
    if (images.length > 0) out.images = images;
    if (message.role === 'assistant' && message.tool_calls?.length) {
      out.tool_calls = message.tool_calls.map((call) => {
        functionNames.set(call.id, call.function.name);
        return { function: { name: call.function.name, arguments: parseArguments(call.function.arguments) } };
      });
    }
    if (message.role === 'tool') {
      const name = functionNames.get(String(message.tool_call_id)) ?? (typeof message.name === 'string' ? message.name : undefined);
      if (name) out.tool_name = name;
    }
    return out;
  });
}

/** The legacy `functions` param as `tools`. */
function functionsAsTools(functions: unknown): unknown[] | undefined {
  return Array.isArray(functions) ? functions.map((fn) => ({ type: 'function', function: fn })) : undefined;
}

/** An answer's (or stream line's) tool calls in OpenAI shape, each with an id of our own (Ollama gives none). */
function toolCallsOf(answer: OllamaAnswer): PlainToolCall[] {
  return (answer.message?.tool_calls ?? []).map((call) => ({
    id: `call_${randomUUID()}`,
    type: 'function',
    function: { name: call.function.name, arguments: typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments ?? {}) },
  }));
}

/** `length` when Ollama stopped at `num_predict`; `tool_calls` for an answer that calls tools; else `stop` (also for `load`/`unload`). */
function finishReasonOf(doneReason: string | undefined, calledTools: boolean): string {
  if (doneReason === 'length') return 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

/** `prompt_eval_count` and `eval_count` as usage; Ollama leaves `prompt_eval_count` out when the prompt was cached. */
function usageFields(answer: OllamaAnswer): { usage?: ReturnType<typeof usageOf> } {
  if (answer.prompt_eval_count === undefined && answer.eval_count === undefined) return {};
  return { usage: usageOf(answer.prompt_eval_count ?? 0, answer.eval_count ?? 0) };
}

function createdOf(answer: OllamaAnswer): number {
  const at = Date.parse(answer.created_at ?? '');
  return Math.floor((Number.isNaN(at) ? Date.now() : at) / 1000);
}

/** One stream line as JSON; a line that reports an error (`{"error": "…"}`, as Ollama sends mid-stream) throws it. */
function parseLine(line: string, ctx: RequestContext): unknown {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (err) {
    throw new APIConnectionError(`stream sent a line that is not JSON: ${line.slice(0, 200)}`, { status: 500, provider: ctx.provider, model: ctx.model, cause: err });
  }
  const error = (data as { error?: unknown } | null)?.error;
  if (typeof error === 'string') throw errorForStreamEvent({ message: error }, { provider: ctx.provider, model: ctx.model });
  return data;
}

export const ollamaProvider = new OllamaProvider('ollama', 'generate');
export const ollamaChatProvider = new OllamaProvider('ollama_chat', 'chat');
