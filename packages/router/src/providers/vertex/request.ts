// OpenAI chat params as a Gemini `generateContent` request.
import { BadRequestError } from '../../errors';
import type { PlainMessage, ProviderParams } from '../provider';
import { chatTurns, contentParts } from '../kit/chat-turns';
import { chosenFunction, functionsOf } from '../kit/tools';
import { dataUrl, responseFormatOf, stopList, textOf } from '../kit/message-parts';

type Part =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: Record<string, unknown> } }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

/** OpenAI chat params → a Gemini `generateContent` request. */
export function toGeminiRequest(params: ProviderParams, model: string): Record<string, unknown> {
  const {
    messages,
    max_tokens,
    max_completion_tokens,
    temperature,
    top_p,
    stop,
    n,
    seed,
    frequency_penalty,
    presence_penalty,
    response_format,
    tools,
    tool_choice,
    stream_options: _streamOptions,
    ...rest
  } = params;
  const { system, turns } = chatTurns<Part>(messages, {
    content: (content) => geminiParts(content, model),
    // Gemini names a function result by the function, not the call id.
    toolResult: (message, functionName) => ({
      functionResponse: { name: functionName ?? String(message.name ?? message.tool_call_id), response: { content: textOf(message.content) } },
    }),
    toolCall: (call, args) => ({ functionCall: { name: call.function.name, args } }),
  });
  const contents = turns.map(({ role, parts }) => ({ role: role === 'assistant' ? 'model' : 'user', parts }));
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
  const format = responseFormatOf(response_format);
  if (format.type === 'json_object') generationConfig.responseMimeType = 'application/json';
  if (format.type === 'json_schema') {
    generationConfig.responseMimeType = 'application/json';
    generationConfig.responseJsonSchema = format.schema;
  }
  const body: Record<string, unknown> = { ...rest, contents };
  if (system.length > 0) body.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  if (Object.keys(generationConfig).length > 0) body.generationConfig = { ...(rest.generationConfig as object | undefined), ...generationConfig };
  const functions = functionsOf(tools);
  if (functions && functions.length > 0) {
    body.tools = [
      {
        functionDeclarations: functions.map((fn) => ({
          name: fn.name,
          ...(fn.description ? { description: fn.description } : {}),
          ...(fn.parameters ? { parameters: fn.parameters } : {}),
        })),
      },
    ];
  }
  if (tool_choice !== undefined) body.toolConfig = { functionCallingConfig: functionCallingConfig(tool_choice) };
  return body;
}

function functionCallingConfig(choice: unknown): Record<string, unknown> {
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'required') return { mode: 'ANY' };
  const name = chosenFunction(choice);
  return name === undefined ? { mode: 'AUTO' } : { mode: 'ANY', allowedFunctionNames: [name] };
}

function geminiParts(content: PlainMessage['content'], model: string): Part[] {
  return contentParts<Part>(content, {
    text: (text) => ({ text }),
    image: (url) => {
      const data = dataUrl(url);
      if (data) return { inlineData: { mimeType: data.mediaType, data: data.base64 } };
      // Vertex reads gs:// and https:// files itself; it wants their type, which a URL's extension tells.
      const mimeType = /\.png$/i.test(url)
        ? 'image/png'
        : /\.webp$/i.test(url)
          ? 'image/webp'
          : /\.gif$/i.test(url)
            ? 'image/gif'
            : /\.jpe?g$/i.test(url)
              ? 'image/jpeg'
              : undefined;
      if (!mimeType)
        throw new BadRequestError('vertex_ai takes images as data URLs or gs:// / https:// URLs ending in .png, .jpg, .jpeg, .gif or .webp', {
          status: 400,
          provider: 'vertex_ai',
          model,
        });
      return { fileData: { mimeType, fileUri: url } };
    },
  });
}
