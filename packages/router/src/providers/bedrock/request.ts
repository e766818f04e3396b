// OpenAI chat params as a Bedrock Converse request.
import type * as BedrockSdk from '@aws-sdk/client-bedrock-runtime';
import { BadRequestError } from '../../errors';
import type { PlainMessage, ProviderParams } from '../provider';
import { chatTurns, contentParts } from '../kit/chat-turns';
import { assertOneChoice } from '../kit/one-choice';
import { chosenFunction, functionsOf, NO_PARAMETERS } from '../kit/tools';
import { dataUrl, stopList, textOf } from '../kit/message-parts';

type ContentBlock = BedrockSdk.ContentBlock;

/** OpenAI chat params → a Converse request. */
export function toConverseInput(params: ProviderParams, modelId: string): BedrockSdk.ConverseCommandInput {
  const {
    messages,
    max_tokens,
    max_completion_tokens,
    temperature,
    top_p,
    stop,
    tools,
    tool_choice,
    n,
    stream_options: _streamOptions,
    user: _user,
    ...rest
  } = params;
  assertOneChoice(n, 'bedrock', modelId);
  const { system, turns } = chatTurns<ContentBlock>(messages, {
    content: (content) => contentBlocks(content, modelId),
    toolResult: (message) => ({ toolResult: { toolUseId: String(message.tool_call_id), content: [{ text: textOf(message.content) }] } }),
    toolCall: (call, input) => ({ toolUse: { toolUseId: call.id, name: call.function.name, input: input as BedrockSdk.ToolUseBlock['input'] } }),
  });
  const inferenceConfig: BedrockSdk.InferenceConfiguration = {};
  const maxTokens = max_tokens ?? max_completion_tokens;
  // Sent as given, numbers or not (the SDK's types say numbers): Bedrock says what is wrong with a value.
  if (maxTokens !== undefined) inferenceConfig.maxTokens = maxTokens as number;
  if (temperature !== undefined) inferenceConfig.temperature = temperature as number;
  if (top_p !== undefined) inferenceConfig.topP = top_p as number;
  const stopSequences = stopList(stop);
  if (stopSequences) inferenceConfig.stopSequences = stopSequences;
  // LiteLLM's `bedrock/converse/<model>` names the API this provider always uses.
  const input: BedrockSdk.ConverseCommandInput = {
    modelId: modelId.replace(/^converse\//, ''),
    messages: turns.map(({ role, parts }) => ({ role, content: parts })),
  };
  if (system.length > 0) input.system = system.map((text) => ({ text }));
  if (Object.keys(inferenceConfig).length > 0) input.inferenceConfig = inferenceConfig;
  const functions = functionsOf(tools);
  // Converse has no "none": offering no tools is how to forbid them.
  if (functions && functions.length > 0 && tool_choice !== 'none') {
    input.toolConfig = {
      tools: functions.map((fn) => ({
        toolSpec: {
          name: fn.name,
          description: fn.description,
          inputSchema: { json: (fn.parameters ?? NO_PARAMETERS) as BedrockSdk.ToolInputSchema.JsonMember['json'] },
        },
      })),
      ...(tool_choice === undefined || tool_choice === 'auto' ? {} : { toolChoice: toolChoiceOf(tool_choice) }),
    };
  }
  // Model-specific params (top_k, …) go to the model as they are, as LiteLLM sends them (JSON, as the caller gave it).
  if (Object.keys(rest).length > 0) input.additionalModelRequestFields = rest as BedrockSdk.ConverseCommandInput['additionalModelRequestFields'];
  return input;
}

function toolChoiceOf(choice: unknown): BedrockSdk.ToolChoice {
  if (choice === 'required') return { any: {} };
  const name = chosenFunction(choice);
  return name === undefined ? { auto: {} } : { tool: { name } };
}

const IMAGE_FORMATS = new Set(['png', 'jpeg', 'gif', 'webp']);

function contentBlocks(content: PlainMessage['content'], model: string): ContentBlock[] {
  return contentParts<ContentBlock>(content, {
    text: (text) => ({ text }),
    image: (url) => {
      const data = dataUrl(url);
      const format = data?.mediaType.replace(/^image\//, '').replace('jpg', 'jpeg');
      if (!data || !format || !IMAGE_FORMATS.has(format)) {
        // Converse takes image bytes only: a URL would have to be fetched, which is not the router's to do.
        throw new BadRequestError('bedrock takes images as data URLs (data:image/png;base64,…) of png, jpeg, gif or webp', {
          status: 400,
          provider: 'bedrock',
          model,
        });
      }
      return { image: { format: format as BedrockSdk.ImageFormat, source: { bytes: Buffer.from(data.base64, 'base64') } } };
    },
  });
}
