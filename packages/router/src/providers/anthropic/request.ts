// OpenAI chat params as an Anthropic Messages request.
import type { ProviderParams } from '../provider';
import { chatTurns, contentParts } from '../kit/chat-turns';
import { assertOneChoice } from '../kit/one-choice';
import { chosenFunction, functionsOf, NO_PARAMETERS } from '../kit/tools';
import { dataUrl, textOf } from '../kit/message-parts';

/** Anthropic requires max_tokens; LiteLLM sends this when the caller gives none. */
const DEFAULT_MAX_TOKENS = 4096;

export type Block =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'url'; url: string } | { type: 'base64'; media_type: string; data: string } }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string };

/** OpenAI chat params → an Anthropic Messages request. */
export function toAnthropicRequest(params: ProviderParams, model: string, stream: boolean): Record<string, unknown> {
  const {
    messages,
    max_tokens,
    max_completion_tokens,
    stop,
    tools,
    tool_choice,
    user,
    stream_options: _streamOptions,
    n,
    response_format: _responseFormat,
    ...rest
  } = params;
  assertOneChoice(n, 'anthropic', model);
  const { system, turns } = chatTurns<Block>(messages, {
    content: contentBlocks,
    toolResult: (message) => ({ type: 'tool_result', tool_use_id: String(message.tool_call_id), content: textOf(message.content) }),
    toolCall: (call, input) => ({ type: 'tool_use', id: call.id, name: call.function.name, input }),
    // A turn with no blocks is sent as it is: Anthropic says what is wrong with it.
    keepEmpty: true,
  });
  const body: Record<string, unknown> = {
    ...rest,
    model,
    messages: turns.map(({ role, parts }) => ({ role, content: parts })),
    max_tokens: max_tokens ?? max_completion_tokens ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length > 0) body.system = system.join('\n\n');
  if (stop !== undefined) body.stop_sequences = Array.isArray(stop) ? stop : [stop];
  if (user !== undefined) body.metadata = { user_id: user };
  const functions = functionsOf(tools);
  if (functions) body.tools = functions.map((fn) => ({ name: fn.name, description: fn.description, input_schema: fn.parameters ?? NO_PARAMETERS }));
  if (tool_choice !== undefined) body.tool_choice = toolChoice(tool_choice);
  if (stream) body.stream = true;
  return body;
}

function toolChoice(choice: unknown): unknown {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  const name = chosenFunction(choice);
  return name ? { type: 'tool', name } : choice;
}

function contentBlocks(content: Parameters<typeof contentParts>[0]): Block[] {
  return contentParts<Block>(content, {
    text: (text) => ({ type: 'text', text }),
    image: (url) => {
      const data = dataUrl(url);
      return { type: 'image', source: data ? { type: 'base64', media_type: data.mediaType, data: data.base64 } : { type: 'url', url } };
    },
    keepEmptyText: true,
  });
}
