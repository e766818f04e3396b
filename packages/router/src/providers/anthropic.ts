import { randomUUID } from 'node:crypto';
import { APIConnectionError, BadRequestError, errorForStreamEvent } from '../errors';
import { fromEnv } from './env';
import { readJson, readSse, send, type RequestContext } from './http';
import { trimSlash } from './openai';
import type { PlainChatCompletion, PlainChunk, PlainMessage, PlainToolCall, Provider, ProviderParams, ProviderTarget } from './provider';
import { expectAnthropicEvent, expectAnthropicMessage, parseStreamEvent } from './validate';

const ANTHROPIC_VERSION = '2023-06-01';
/** Anthropic requires max_tokens; LiteLLM sends this when the caller gives none. */
const DEFAULT_MAX_TOKENS = 4096;

type Block =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'url'; url: string } | { type: 'base64'; media_type: string; data: string } }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string };

interface AnthropicMessage {
  id: string;
  model: string;
  content: Block[];
  stop_reason: string | null;
  usage?: { input_tokens?: number; output_tokens?: number };
}

const ENV = { apiKey: ['ANTHROPIC_API_KEY'], apiBase: ['ANTHROPIC_API_BASE'] } as const;

const STOP_REASONS: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls' };

/** Anthropic's Messages API, spoken in OpenAI shapes: messages, tools and tool calls, and streaming. */
export class AnthropicProvider implements Provider {
  readonly name = 'anthropic';
  /** OpenAI params the Messages API has no counterpart for; without `dropParams` they are sent as they are, and Anthropic decides. */
  readonly unsupportedParams: ReadonlySet<string> = new Set([
    'seed', 'frequency_penalty', 'presence_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'n', 'response_format', 'parallel_tool_calls',
  ]);
  readonly envParams = ENV;

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const ctx = this.context(target);
    const response = await this.post(toAnthropicRequest(params, target.model, false), target, ctx);
    return fromAnthropicMessage(expectAnthropicMessage<AnthropicMessage>(await readJson(response, ctx), ctx));
  }

  async *chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    const ctx = this.context(target);
    const response = await this.post(toAnthropicRequest(params, target.model, true), target, ctx);
    const includeUsage = (params.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    let id = `chatcmpl-${randomUUID()}`;
    let model = target.model;
    const created = Math.floor(Date.now() / 1000);
    let inputTokens = 0;
    let toolIndex = -1;
    let stopped = false;
    const chunk = (delta: PlainChunk['choices'][0]['delta'], finish: string | null = null): PlainChunk => ({
      id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }],
    });
    for await (const event of readSse(response, ctx)) {
      const data: Record<string, any> = expectAnthropicEvent(parseStreamEvent(event, ctx), ctx);
      switch (data.type) {
        case 'message_start':
          id = data.message.id ?? id;
          model = data.message.model ?? model;
          inputTokens = data.message.usage?.input_tokens ?? 0;
          yield chunk({ role: 'assistant', content: '' });
          break;
        case 'content_block_start':
          if (data.content_block?.type === 'tool_use') {
            toolIndex++;
            yield chunk({ tool_calls: [{ index: toolIndex, id: data.content_block.id, type: 'function', function: { name: data.content_block.name, arguments: '' } }] });
          }
          break;
        case 'content_block_delta':
          if (data.delta?.type === 'text_delta') yield chunk({ content: data.delta.text });
          else if (data.delta?.type === 'input_json_delta') yield chunk({ tool_calls: [{ index: toolIndex, function: { arguments: data.delta.partial_json } }] });
          break;
        case 'message_delta': {
          const outputTokens = data.usage?.output_tokens ?? 0;
          yield chunk({}, STOP_REASONS[data.delta?.stop_reason] ?? data.delta?.stop_reason ?? 'stop');
          if (includeUsage) {
            yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage(inputTokens, outputTokens) };
          }
          break;
        }
        case 'message_stop':
          stopped = true;
          break;
        case 'error':
          throw errorForStreamEvent(data.error, { provider: this.name, model: target.model });
        default:
          break; // ping, content_block_stop
      }
      if (stopped) break;
    }
    if (!stopped) throw new APIConnectionError('stream ended before message_stop', { status: 500, provider: this.name, model: target.model });
  }

  textCompletion(): never {
    throw new BadRequestError('anthropic has no text completion API; use completion() with messages', { status: 400, provider: this.name });
  }

  embedding(): never {
    throw new BadRequestError('anthropic has no embeddings API', { status: 400, provider: this.name });
  }

  transcription(): never {
    throw new BadRequestError('anthropic has no transcription API', { status: 400, provider: this.name });
  }

  private post(body: Record<string, unknown>, target: ProviderTarget, ctx: RequestContext): Promise<Response> {
    const base = trimSlash(target.apiBase ?? fromEnv(ENV.apiBase) ?? 'https://api.anthropic.com');
    const url = base.endsWith('/v1/messages') ? base : base.endsWith('/v1') ? `${base}/messages` : `${base}/v1/messages`;
    const key = target.apiKey ?? fromEnv(ENV.apiKey);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
    if (key) headers['x-api-key'] = key;
    return send(url, { method: 'POST', headers: { ...headers, ...target.headers }, body: JSON.stringify(body) }, ctx);
  }

  private context(target: ProviderTarget): RequestContext {
    return { provider: this.name, model: target.model, signal: target.signal };
  }
}

/** OpenAI chat params → an Anthropic Messages request. */
export function toAnthropicRequest(params: ProviderParams, model: string, stream: boolean): Record<string, unknown> {
  const {
    messages, max_tokens, max_completion_tokens, stop, tools, tool_choice, user, stream_options: _streamOptions,
    n, response_format: _responseFormat, ...rest
  } = params as Record<string, any>;
  if (n !== undefined && n !== 1) throw new BadRequestError('anthropic answers one choice per call (n must be 1)', { status: 400, provider: 'anthropic', model });
  const system: string[] = [];
  const out: Array<{ role: 'user' | 'assistant'; content: Block[] }> = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    const last = out[out.length - 1];
    // Anthropic wants user and assistant turns to alternate: merge neighbours of one role.
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const message of (messages ?? []) as PlainMessage[]) {
    if (message.role === 'system' || message.role === 'developer') {
      system.push(textOf(message.content));
    } else if (message.role === 'tool') {
      push('user', [{ type: 'tool_result', tool_use_id: String(message.tool_call_id), content: textOf(message.content) }]);
    } else if (message.role === 'assistant') {
      const blocks: Block[] = contentBlocks(message.content);
      for (const call of message.tool_calls ?? []) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments) });
      }
      push('assistant', blocks);
    } else {
      push('user', contentBlocks(message.content));
    }
  }
  const body: Record<string, unknown> = {
    ...rest,
    model,
    messages: out,
    max_tokens: max_tokens ?? max_completion_tokens ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length > 0) body.system = system.join('\n\n');
  if (stop !== undefined) body.stop_sequences = Array.isArray(stop) ? stop : [stop];
  if (user !== undefined) body.metadata = { user_id: user };
  if (Array.isArray(tools)) {
    body.tools = tools.map((tool: { function: { name: string; description?: string; parameters?: unknown } }) => ({
      name: tool.function.name,
      description: tool.function.description,
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    }));
  }
  if (tool_choice !== undefined) body.tool_choice = toolChoice(tool_choice);
  if (stream) body.stream = true;
  return body;
}

function toolChoice(choice: unknown): unknown {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  const named = choice as { function?: { name?: string } };
  if (named?.function?.name) return { type: 'tool', name: named.function.name };
  return choice;
}

function textOf(content: PlainMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

function contentBlocks(content: PlainMessage['content']): Block[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!content) return [];
  return content.flatMap((part): Block[] => {
    if (part.type === 'text') return [{ type: 'text', text: part.text ?? '' }];
    if (part.type === 'image_url') {
      const url = (part.image_url as { url: string }).url;
      const data = /^data:([^;]+);base64,(.*)$/s.exec(url);
      return [{ type: 'image', source: data ? { type: 'base64', media_type: data[1]!, data: data[2]! } : { type: 'url', url } }];
    }
    return [];
  });
}

function parseArguments(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

function usage(input: number, output: number) {
  return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
}

/** An Anthropic message → an OpenAI chat completion. */
export function fromAnthropicMessage(message: AnthropicMessage): PlainChatCompletion {
  const text = message.content.filter((b): b is Extract<Block, { type: 'text' }> => b.type === 'text').map((b) => b.text).join('');
  const toolCalls: PlainToolCall[] = message.content
    .filter((b): b is Extract<Block, { type: 'tool_use' }> => b.type === 'tool_use')
    .map((b) => ({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } }));
  return {
    id: message.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: message.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: STOP_REASONS[message.stop_reason ?? ''] ?? message.stop_reason ?? 'stop',
      },
    ],
    // Anthropic always counts; a compatible server that does not leaves usage out rather than claim zero.
    ...(message.usage ? { usage: usage(message.usage.input_tokens ?? 0, message.usage.output_tokens ?? 0) } : {}),
  };
}

export const anthropicProvider = new AnthropicProvider();
