// Amazon Bedrock through its Converse and ConverseStream APIs, with AWS's own SDK (an optional peer):
// it signs requests (SigV4) and finds credentials the way every AWS tool does.
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type * as BedrockSdk from '@aws-sdk/client-bedrock-runtime';
import { APIConnectionError, BadRequestError, errorForStatus, ProviderError, RouterConfigError } from '../errors';
import { fromEnv } from './env';
import { connectionError, type RequestContext } from './http';
import { dataUrl, imageUrlOf, parseArguments, stopList, textOf, usageOf } from './message-parts';
import { takeSettings } from './native-params';
import { requireOptional } from './optional-package';
import type { PlainChatCompletion, PlainChunk, PlainMessage, PlainToolCall, Provider, ProviderParams, ProviderTarget } from './provider';
import { expectBedrockEvent, expectBedrockOutput } from './validate-native';

const PACKAGE = '@aws-sdk/client-bedrock-runtime';

/** Deployment params that say where and as whom to call Bedrock (LiteLLM's `aws_*` names are accepted too). */
const SETTINGS = ['awsRegionName', 'awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken', 'awsProfileName', 'awsBedrockRuntimeEndpoint'] as const;
type Settings = Partial<Record<(typeof SETTINGS)[number], unknown>>;

/**
 * The variables LiteLLM reads for each setting. From `process.env`, AWS's SDK reads its own (credentials,
 * `AWS_REGION`, `AWS_PROFILE`) through its chain; this provider adds LiteLLM's `AWS_REGION_NAME` and
 * `AWS_BEDROCK_RUNTIME_ENDPOINT`. A config's `environment_variables` set them all as deployment params.
 */
const ENV = {
  awsAccessKeyId: ['AWS_ACCESS_KEY_ID'],
  awsSecretAccessKey: ['AWS_SECRET_ACCESS_KEY'],
  awsSessionToken: ['AWS_SESSION_TOKEN'],
  awsRegionName: ['AWS_REGION_NAME', 'AWS_REGION'],
  awsProfileName: ['AWS_PROFILE'],
  awsBedrockRuntimeEndpoint: ['AWS_BEDROCK_RUNTIME_ENDPOINT'],
} as const satisfies Partial<Record<(typeof SETTINGS)[number], readonly string[]>>;

const STOP_REASONS: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

type ContentBlock = BedrockSdk.ContentBlock;
type Message = BedrockSdk.Message;

/** What the SDK throws: a service error carries its name and HTTP status; abort and network errors do not. */
interface SdkError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  $response?: { headers?: Record<string, string> };
}

// Bedrock's error names, as its API reference lists them, and the status each means.
const STATUS_BY_ERROR: Record<string, number> = {
  ValidationException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 401,
  ExpiredTokenException: 401,
  InvalidSignatureException: 401,
  MissingAuthenticationTokenException: 401,
  ResourceNotFoundException: 404,
  ModelNotReadyException: 429,
  ThrottlingException: 429,
  ServiceQuotaExceededException: 429,
  ModelTimeoutException: 408,
  ModelErrorException: 500,
  InternalServerException: 500,
  ModelStreamErrorException: 500,
  ServiceUnavailableException: 503,
};

export class BedrockProvider implements Provider {
  readonly name = 'bedrock';
  readonly unsupportedParams: ReadonlySet<string> = new Set([
    'seed', 'frequency_penalty', 'presence_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'n', 'response_format', 'parallel_tool_calls', 'user',
  ]);
  readonly envParams = ENV;

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const ctx = this.context(target);
    const { sdk, client, input } = this.prepare(params, target);
    let output: BedrockSdk.ConverseCommandOutput;
    try {
      output = await client.send(new sdk.ConverseCommand(input), { abortSignal: target.signal });
    } catch (err) {
      throw this.errorOf(err, ctx);
    }
    return fromConverseOutput(expectBedrockOutput<BedrockSdk.ConverseCommandOutput>(output, ctx), target.model);
  }

  async *chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    const ctx = this.context(target);
    const { sdk, client, input } = this.prepare(params, target);
    const includeUsage = (params.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    let response: BedrockSdk.ConverseStreamCommandOutput;
    try {
      response = await client.send(new sdk.ConverseStreamCommand(input), { abortSignal: target.signal });
    } catch (err) {
      throw this.errorOf(err, ctx);
    }
    if (!response.stream) throw new APIConnectionError('stream has no body', { status: 500, provider: this.name, model: target.model });
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: PlainChunk['choices'][0]['delta'], finish: string | null = null): PlainChunk => ({
      id, object: 'chat.completion.chunk', created, model: target.model, choices: [{ index: 0, delta, finish_reason: finish }],
    });
    // Bedrock numbers content blocks; OpenAI numbers tool calls.
    const toolIndexByBlock = new Map<number, number>();
    let stopped = false;
    let usageSeen = false;
    try {
      for await (const raw of response.stream) {
        const event = expectBedrockEvent(raw, ctx);
        if (event.messageStart) {
          yield chunk({ role: 'assistant', content: '' });
        } else if (event.contentBlockStart?.start?.toolUse) {
          const toolUse = event.contentBlockStart.start.toolUse;
          const index = toolIndexByBlock.size;
          toolIndexByBlock.set(event.contentBlockStart.contentBlockIndex ?? index, index);
          yield chunk({ tool_calls: [{ index, id: toolUse.toolUseId, type: 'function', function: { name: toolUse.name, arguments: '' } }] });
        } else if (event.contentBlockDelta?.delta) {
          const { delta, contentBlockIndex } = event.contentBlockDelta;
          if (typeof delta.text === 'string') yield chunk({ content: delta.text });
          else if (delta.toolUse) {
            const index = toolIndexByBlock.get(contentBlockIndex ?? -1) ?? Math.max(0, toolIndexByBlock.size - 1);
            yield chunk({ tool_calls: [{ index, function: { arguments: delta.toolUse.input ?? '' } }] });
          }
        } else if (event.messageStop) {
          stopped = true;
          yield chunk({}, STOP_REASONS[event.messageStop.stopReason ?? ''] ?? event.messageStop.stopReason ?? 'stop');
        } else if (event.metadata) {
          // The last event: usage comes after the stop.
          usageSeen = true;
          const usage = event.metadata.usage;
          if (includeUsage && usage) {
            yield { id, object: 'chat.completion.chunk', created, model: target.model, choices: [], usage: usageOf(usage.inputTokens ?? 0, usage.outputTokens ?? 0, usage.totalTokens) };
          }
        } else {
          // Exceptions arrive as events of their own; the SDK throws most, this catches the rest.
          const [name, error] = Object.entries(event).find(([key, value]) => key.endsWith('Exception') && value) ?? [];
          if (name) throw this.errorOf({ name: name[0]!.toUpperCase() + name.slice(1), message: (error as { message?: string }).message }, ctx);
        }
        if (usageSeen) break;
      }
    } catch (err) {
      throw this.errorOf(err, ctx);
    }
    if (!stopped) throw new APIConnectionError('stream ended before messageStop', { status: 500, provider: this.name, model: target.model });
  }

  textCompletion(): never {
    throw new BadRequestError('bedrock/ models answer chat only (the Converse API); use completion() with messages', { status: 400, provider: this.name });
  }

  embedding(): never {
    throw new BadRequestError('bedrock/ embeddings are not supported; only chat through the Converse API', { status: 400, provider: this.name });
  }

  transcription(): never {
    throw new BadRequestError('bedrock has no transcription API', { status: 400, provider: this.name });
  }

  private prepare(params: ProviderParams, target: ProviderTarget) {
    const { settings, rest } = takeSettings(params, SETTINGS);
    const sdk = requireOptional<typeof BedrockSdk>(PACKAGE, 'bedrock');
    const client = this.client(sdk, settings, target);
    return { sdk, client, input: toConverseInput(rest, target.model) };
  }

  private client(sdk: typeof BedrockSdk, settings: Settings, target: ProviderTarget): BedrockSdk.BedrockRuntimeClient {
    const text = (value: unknown) => (value === undefined ? undefined : String(value));
    const config = {
      region: text(settings.awsRegionName) ?? fromEnv(['AWS_REGION_NAME']),
      endpoint: target.apiBase ?? text(settings.awsBedrockRuntimeEndpoint) ?? fromEnv(ENV.awsBedrockRuntimeEndpoint),
      accessKeyId: text(settings.awsAccessKeyId),
      secretAccessKey: text(settings.awsSecretAccessKey),
      sessionToken: text(settings.awsSessionToken),
      profile: text(settings.awsProfileName),
    };
    if ((config.accessKeyId === undefined) !== (config.secretAccessKey === undefined)) {
      throw new BadRequestError('awsAccessKeyId and awsSecretAccessKey (aws_access_key_id, aws_secret_access_key) go together: set both, or neither for the default credential chain', { status: 400, provider: this.name, model: target.model });
    }
    // One client per distinct region, credentials and endpoint: it keeps its connections and resolved credentials.
    return target.clients.get(`bedrock:${JSON.stringify(config)}`, () => new sdk.BedrockRuntimeClient({
      ...(config.region ? { region: config.region } : {}),
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.profile ? { profile: config.profile } : {}),
      ...(config.accessKeyId && config.secretAccessKey
        ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, sessionToken: config.sessionToken } }
        : {}),
      // The router retries, cools down and falls back itself; the SDK's own retries would hide failures from it.
      maxAttempts: 1,
      requestHandler: http1Handler(),
    }), (client) => client.destroy());
  }

  /** The SDK's errors as the router's typed errors: by Bedrock's error name, else by HTTP status. */
  private errorOf(err: unknown, ctx: RequestContext): ProviderError | RouterConfigError {
    if (err instanceof ProviderError || err instanceof RouterConfigError) return err;
    const sdkError = (err ?? {}) as SdkError;
    const status = STATUS_BY_ERROR[sdkError.name ?? ''] ?? sdkError.$metadata?.httpStatusCode;
    if (ctx.signal.aborted || status === undefined) {
      // No answer: our timeout, a network failure, or the SDK's own trouble (no region, no credentials).
      const missing = /region is missing|could not load credentials/i.exec(sdkError.message ?? '');
      if (missing && !ctx.signal.aborted) {
        const what = /region/i.test(missing[0]) ? 'awsRegionName (aws_region_name) or AWS_REGION' : 'awsAccessKeyId and awsSecretAccessKey, awsProfileName, or credentials AWS\'s default chain can find';
        return new BadRequestError(`${sdkError.message}: set ${what}`, { status: 400, provider: this.name, model: ctx.model, cause: err });
      }
      return connectionError(err, ctx);
    }
    const message = sdkError.message ?? sdkError.name ?? 'request failed';
    const retryAfter = Number(sdkError.$response?.headers?.['retry-after'] ?? Number.NaN);
    return errorForStatus(message, {
      status, provider: this.name, model: ctx.model, code: sdkError.name, cause: err, retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
    });
  }

  private context(target: ProviderTarget): RequestContext {
    return { provider: this.name, model: target.model, signal: target.signal };
  }
}

/**
 * An HTTP/1.1 handler: the client's default speaks HTTP/2 only (for the bidirectional stream this provider
 * does not use), which no HTTP/1.1 endpoint (`apiBase`: a proxy, a gateway, a local server) answers.
 * Loaded from beside the SDK, whose dependency it is, so any package layout finds it.
 */
function http1Handler(): BedrockSdk.BedrockRuntimeClientConfig['requestHandler'] {
  const sdkDir = dirname(require.resolve(PACKAGE));
  const { NodeHttpHandler } = require(require.resolve('@smithy/node-http-handler', { paths: [sdkDir] })) as { NodeHttpHandler: new () => BedrockSdk.BedrockRuntimeClientConfig['requestHandler'] };
  return new NodeHttpHandler();
}

/** OpenAI chat params → a Converse request. */
export function toConverseInput(params: ProviderParams, modelId: string): BedrockSdk.ConverseCommandInput {
  const {
    messages, max_tokens, max_completion_tokens, temperature, top_p, stop, tools, tool_choice, n,
    stream_options: _streamOptions, user: _user, ...rest
  } = params as Record<string, any>;
  if (n !== undefined && n !== 1) throw new BadRequestError('bedrock answers one choice per call (n must be 1)', { status: 400, provider: 'bedrock', model: modelId });
  const system: BedrockSdk.SystemContentBlock[] = [];
  const out: Message[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlock[]) => {
    if (blocks.length === 0) return;
    const last = out[out.length - 1];
    // Converse wants user and assistant turns to alternate: neighbours of one role are merged.
    if (last && last.role === role) last.content!.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const message of (messages ?? []) as PlainMessage[]) {
    if (message.role === 'system' || message.role === 'developer') {
      system.push({ text: textOf(message.content) });
    } else if (message.role === 'tool') {
      push('user', [{ toolResult: { toolUseId: String(message.tool_call_id), content: [{ text: textOf(message.content) }] } }]);
    } else if (message.role === 'assistant') {
      const blocks = contentBlocks(message.content, modelId);
      for (const call of message.tool_calls ?? []) {
        blocks.push({ toolUse: { toolUseId: call.id, name: call.function.name, input: parseArguments(call.function.arguments) as BedrockSdk.ToolUseBlock['input'] } });
      }
      push('assistant', blocks);
    } else {
      push('user', contentBlocks(message.content, modelId));
    }
  }
  const inferenceConfig: BedrockSdk.InferenceConfiguration = {};
  const maxTokens = max_tokens ?? max_completion_tokens;
  if (maxTokens !== undefined) inferenceConfig.maxTokens = maxTokens;
  if (temperature !== undefined) inferenceConfig.temperature = temperature;
  if (top_p !== undefined) inferenceConfig.topP = top_p;
  const stopSequences = stopList(stop);
  if (stopSequences) inferenceConfig.stopSequences = stopSequences;
  // LiteLLM's `bedrock/converse/<model>` names the API this provider always uses.
  const input: BedrockSdk.ConverseCommandInput = { modelId: modelId.replace(/^converse\//, ''), messages: out };
  if (system.length > 0) input.system = system;
  if (Object.keys(inferenceConfig).length > 0) input.inferenceConfig = inferenceConfig;
  // Converse has no "none": offering no tools is how to forbid them.
  if (Array.isArray(tools) && tools.length > 0 && tool_choice !== 'none') {
    input.toolConfig = {
      tools: tools.map((tool: { function: { name: string; description?: string; parameters?: unknown } }) => ({
        toolSpec: {
          name: tool.function.name,
          description: tool.function.description,
          inputSchema: { json: (tool.function.parameters ?? { type: 'object', properties: {} }) as BedrockSdk.ToolInputSchema.JsonMember['json'] },
        },
      })),
      ...(tool_choice === undefined || tool_choice === 'auto' ? {} : { toolChoice: toolChoiceOf(tool_choice) }),
    };
  }
  // Model-specific params (top_k, …) go to the model as they are, as LiteLLM sends them.
  if (Object.keys(rest).length > 0) input.additionalModelRequestFields = rest as BedrockSdk.ConverseCommandInput['additionalModelRequestFields'];
  return input;
}

function toolChoiceOf(choice: unknown): BedrockSdk.ToolChoice {
  if (choice === 'required') return { any: {} };
  const name = (choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  if (typeof name === 'string') return { tool: { name } };
  return { auto: {} };
}

const IMAGE_FORMATS = new Set(['png', 'jpeg', 'gif', 'webp']);

function contentBlocks(content: PlainMessage['content'], model: string): ContentBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!content) return [];
  return content.flatMap((part): ContentBlock[] => {
    if (part.type === 'text') return part.text ? [{ text: part.text }] : [];
    if (part.type === 'image_url') {
      const data = dataUrl(imageUrlOf(part));
      const format = data?.mediaType.replace(/^image\//, '').replace('jpg', 'jpeg');
      if (!data || !format || !IMAGE_FORMATS.has(format)) {
        // Converse takes image bytes only: a URL would have to be fetched, which is not the router's to do.
        throw new BadRequestError('bedrock takes images as data URLs (data:image/png;base64,…) of png, jpeg, gif or webp', { status: 400, provider: 'bedrock', model });
      }
      return [{ image: { format: format as BedrockSdk.ImageFormat, source: { bytes: Buffer.from(data.base64, 'base64') } } }];
    }
    return [];
  });
}

/** A Converse answer → an OpenAI chat completion. */
export function fromConverseOutput(output: BedrockSdk.ConverseCommandOutput, model: string): PlainChatCompletion {
  const blocks = output.output?.message?.content ?? [];
  const text = blocks.map((block) => block.text ?? '').join('');
  const toolCalls: PlainToolCall[] = blocks
    .filter((block) => block.toolUse)
    .map((block) => ({ id: block.toolUse!.toolUseId ?? `call_${randomUUID()}`, type: 'function', function: { name: block.toolUse!.name ?? '', arguments: JSON.stringify(block.toolUse!.input ?? {}) } }));
  const usage = output.usage;
  return {
    id: `chatcmpl-${output.$metadata?.requestId ?? randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: STOP_REASONS[output.stopReason ?? ''] ?? output.stopReason ?? 'stop',
      },
    ],
    ...(usage ? { usage: usageOf(usage.inputTokens ?? 0, usage.outputTokens ?? 0, usage.totalTokens) } : {}),
  };
}

export const bedrockProvider = new BedrockProvider();
