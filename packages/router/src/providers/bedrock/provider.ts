// Amazon Bedrock through its Converse and ConverseStream APIs, with AWS's own SDK (client.ts).
import type * as BedrockSdk from '@aws-sdk/client-bedrock-runtime';
import { requestContext, wantsUsage } from '../kit/context';
import { takeSettings } from '../kit/native-params';
import { streamWithoutBody } from '../kit/stream-errors';
import type { PlainChatCompletion, PlainChunk, Provider, ProviderParams, ProviderTarget } from '../provider';
import { bedrockClient, ENV, SETTINGS } from './client';
import { bedrockError } from './errors';
import { toConverseInput } from './request';
import { fromConverseOutput } from './response';
import { converseChunks } from './stream';
import { expectBedrockOutput } from './validate';

/** Chat only (the Converse API): no text completion, embeddings or transcription. */
export class BedrockProvider implements Provider {
  readonly name = 'bedrock';
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
    'user',
  ]);
  readonly envParams = ENV;

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const ctx = requestContext(this.name, target);
    const { sdk, client, input } = prepare(params, target);
    let output: BedrockSdk.ConverseCommandOutput;
    try {
      output = await client.send(new sdk.ConverseCommand(input), { abortSignal: target.signal });
    } catch (err) {
      throw bedrockError(err, ctx);
    }
    return fromConverseOutput(expectBedrockOutput<BedrockSdk.ConverseCommandOutput>(output, ctx), target.model);
  }

  async *chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    const ctx = requestContext(this.name, target);
    const { sdk, client, input } = prepare(params, target);
    const includeUsage = wantsUsage(params);
    let response: BedrockSdk.ConverseStreamCommandOutput;
    try {
      response = await client.send(new sdk.ConverseStreamCommand(input), { abortSignal: target.signal });
    } catch (err) {
      throw bedrockError(err, ctx);
    }
    if (!response.stream) throw streamWithoutBody(ctx);
    yield* converseChunks(response.stream, ctx, includeUsage);
  }
}

/** The deployment's own settings taken out of the params, its client, and the Converse request of the rest. */
function prepare(params: ProviderParams, target: ProviderTarget) {
  const { settings, rest } = takeSettings(params, SETTINGS);
  const { sdk, client } = bedrockClient(settings, target);
  return { sdk, client, input: toConverseInput(rest, target.model) };
}

export const bedrockProvider = new BedrockProvider();
