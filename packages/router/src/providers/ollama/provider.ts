// Ollama's native API, as LiteLLM calls it: `ollama/` sends a chat as one prompt to /api/generate,
// `ollama_chat/` sends the messages to /api/chat; both send text completions to /api/generate and
// embeddings to /api/embed.
import { randomUUID } from 'node:crypto';
import { BadRequestError } from '../../errors';
import { fromEnv } from '../env';
import { readJson, readNdjson, send, type RequestContext } from '../http';
import { assistantMessage, chatCompletion } from '../kit/completion';
import { requestContext, wantsUsage } from '../kit/context';
import { paramText } from '../kit/message-parts';
import { refusedBesides } from '../openai-params';
import { trimSlash } from '../openai';
import type {
  PlainChatCompletion,
  PlainChunk,
  PlainEmbeddingResponse,
  PlainMessage,
  PlainTextCompletion,
  Provider,
  ProviderParams,
  ProviderTarget,
} from '../provider';
import { chatMessages, functionsAsTools, generatePrompt, ollamaFields } from './request';
import { createdOf, finishReasonOf, toolCallsOf, usageFields } from './response';
import { ollamaChunks } from './stream';
import { expectOllamaChat, expectOllamaEmbed, expectOllamaGenerate } from './validate';

/** Where Ollama listens when neither `apiBase` nor `OLLAMA_API_BASE` says otherwise (LiteLLM's default). */
const DEFAULT_BASE = 'http://localhost:11434';

/** The variables LiteLLM reads for an Ollama deployment's endpoint and (for a server behind a proxy) key. */
const ENV = { apiBase: ['OLLAMA_API_BASE'], apiKey: ['OLLAMA_API_KEY'] } as const;

/** OpenAI params LiteLLM translates for Ollama (its `get_supported_openai_params`); `drop_params` drops the others. */
const GENERATE_PARAMS = ['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'seed', 'frequency_penalty', 'stop', 'response_format'];
const CHAT_PARAMS = [...GENERATE_PARAMS, 'tools', 'tool_choice', 'functions'];

type Api = 'generate' | 'chat';

/** Chat, text completion and embeddings; Ollama has no transcription API. */
export class OllamaProvider implements Provider {
  readonly unsupportedParams: ReadonlySet<string>;
  readonly envParams = ENV;

  /** @param api Where chat goes: one prompt to /api/generate (`ollama/`), or the messages to /api/chat (`ollama_chat/`). */
  constructor(
    readonly name: 'ollama' | 'ollama_chat',
    private readonly api: Api,
  ) {
    this.unsupportedParams = refusedBesides(api === 'chat' ? CHAT_PARAMS : GENERATE_PARAMS);
  }

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const ctx = requestContext(this.name, target);
    const response = await this.post(this.api, this.chatBody(params, target.model, false), target, ctx);
    const answer = await readJson<unknown>(response, ctx);
    const checked = this.api === 'chat' ? expectOllamaChat(answer, ctx) : expectOllamaGenerate(answer, ctx);
    const text = this.api === 'chat' ? (checked.message?.content ?? '') : (checked.response ?? '');
    const toolCalls = toolCallsOf(checked);
    return chatCompletion({
      id: `chatcmpl-${randomUUID()}`,
      created: createdOf(checked),
      model: checked.model ?? target.model,
      choices: [{ index: 0, message: assistantMessage(text, toolCalls), finish_reason: finishReasonOf(checked.done_reason, toolCalls.length > 0) }],
      usage: usageFields(checked).usage,
    });
  }

  async *chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    const ctx = requestContext(this.name, target);
    const response = await this.post(this.api, this.chatBody(params, target.model, true), target, ctx);
    yield* ollamaChunks(readNdjson(response, ctx), ctx, this.api, wantsUsage(params));
  }

  async textCompletion(params: ProviderParams, target: ProviderTarget): Promise<PlainTextCompletion> {
    const ctx = requestContext(this.name, target);
    const { prompt, ...rest } = params;
    const text = Array.isArray(prompt) ? prompt.map(String).join('\n') : paramText(prompt ?? '');
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
    const ctx = requestContext(this.name, target);
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

  /** The /api/generate or /api/chat body of a chat request. */
  private chatBody(params: ProviderParams, model: string, stream: boolean): Record<string, unknown> {
    const { messages, tools, tool_choice: _toolChoice, functions, stream_options: _streamOptions, ...rest } = params;
    const list = (Array.isArray(messages) ? messages : []) as PlainMessage[];
    if (this.api === 'chat') {
      const toolList = tools ?? functionsAsTools(functions);
      // tool_choice is not sent: Ollama has none, and LiteLLM leaves it out (it made requests hang).
      return {
        ...ollamaFields(rest, model, this.name),
        messages: chatMessages(list, model, this.name),
        ...(toolList === undefined ? {} : { tools: toolList }),
        stream,
      };
    }
    if (tools !== undefined || functions !== undefined) {
      throw new BadRequestError('ollama/ models answer on /api/generate, which takes no tools: use ollama_chat/, or dropParams to drop them', {
        status: 400,
        provider: this.name,
        model,
      });
    }
    const { prompt, images } = generatePrompt(list, model, this.name);
    return { ...ollamaFields(rest, model, this.name), prompt, ...(images.length > 0 ? { images } : {}), stream };
  }

  private post(path: 'generate' | 'chat' | 'embed', body: Record<string, unknown>, target: ProviderTarget, ctx: RequestContext): Promise<Response> {
    if (!target.model) throw new BadRequestError('model is empty', { status: 400, provider: this.name });
    const key = target.apiKey ?? fromEnv(ENV.apiKey);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
    return send(
      `${rootOf(target.apiBase ?? fromEnv(ENV.apiBase) ?? DEFAULT_BASE)}/api/${path}`,
      { method: 'POST', headers: { ...headers, ...target.headers }, body: JSON.stringify(body) },
      ctx,
    );
  }
}

/** The server root of an endpoint: LiteLLM also takes a base that already ends in `/api/generate` (or chat, embed). */
function rootOf(base: string): string {
  return trimSlash(base).replace(/\/api\/(generate|chat|embed)$/, '');
}

export const ollamaProvider = new OllamaProvider('ollama', 'generate');
export const ollamaChatProvider = new OllamaProvider('ollama_chat', 'chat');
