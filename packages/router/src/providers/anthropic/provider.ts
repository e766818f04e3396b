// Anthropic's Messages API, spoken in OpenAI shapes: messages, tools and tool calls, and streaming.
import { fromEnv } from '../env';
import { readJson, readSse, send, type RequestContext } from '../http';
import { requestContext, wantsUsage } from '../kit/context';
import { trimSlash } from '../openai';
import type { PlainChatCompletion, PlainChunk, Provider, ProviderParams, ProviderTarget } from '../provider';
import { toAnthropicRequest } from './request';
import { fromAnthropicMessage, type AnthropicMessage } from './response';
import { anthropicChunks } from './stream';
import { expectAnthropicMessage } from './validate';

const ANTHROPIC_VERSION = '2023-06-01';

const ENV = { apiKey: ['ANTHROPIC_API_KEY'], apiBase: ['ANTHROPIC_API_BASE'] } as const;

/** Chat only: Anthropic has no text completion, embeddings or transcription API. */
export class AnthropicProvider implements Provider {
  readonly name = 'anthropic';
  /** OpenAI params the Messages API has no counterpart for; without `dropParams` they are sent as they are, and Anthropic decides. */
  readonly unsupportedParams: ReadonlySet<string> = new Set([
    'seed',
    'frequency_penalty',
    'presence_penalty',
    'logit_bias',
    'logprobs',
    'top_logprobs',
    'n',
    'response_format',
    'parallel_tool_calls',
  ]);
  readonly envParams = ENV;

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const ctx = requestContext(this.name, target);
    const response = await this.post(toAnthropicRequest(params, target.model, false), target, ctx);
    return fromAnthropicMessage(expectAnthropicMessage<AnthropicMessage>(await readJson(response, ctx), ctx));
  }

  async *chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    const ctx = requestContext(this.name, target);
    const response = await this.post(toAnthropicRequest(params, target.model, true), target, ctx);
    yield* anthropicChunks(readSse(response, ctx), ctx, wantsUsage(params));
  }

  private post(body: Record<string, unknown>, target: ProviderTarget, ctx: RequestContext): Promise<Response> {
    const base = trimSlash(target.apiBase ?? fromEnv(ENV.apiBase) ?? 'https://api.anthropic.com');
    const url = base.endsWith('/v1/messages') ? base : base.endsWith('/v1') ? `${base}/messages` : `${base}/v1/messages`;
    const key = target.apiKey ?? fromEnv(ENV.apiKey);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
    if (key) headers['x-api-key'] = key;
    return send(url, { method: 'POST', headers: { ...headers, ...target.headers }, body: JSON.stringify(body) }, ctx);
  }
}

export const anthropicProvider = new AnthropicProvider();
