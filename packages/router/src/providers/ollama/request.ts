// OpenAI params as Ollama's request bodies: the prompt for /api/generate (in LiteLLM's `### User:`
// template), the messages for /api/chat, and the fields both take.
import { BadRequestError } from '../../errors';
import type { PlainMessage, ProviderParams } from '../provider';
import { assertOneChoice } from '../kit/one-choice';
import { dataUrl, imageUrlOf, parseArguments, responseFormatOf, stopList, textOf } from '../kit/message-parts';

/** Request fields Ollama reads at the top level; every other param goes into `options`, as LiteLLM sends them. */
const TOP_LEVEL = new Set(['format', 'keep_alive', 'think', 'raw', 'suffix', 'system', 'template', 'context', 'images', 'tools', 'truncate', 'dimensions']);

interface OllamaMessage {
  role: string;
  content: string;
  images?: string[];
  tool_calls?: Array<{ function: { name: string; arguments: Record<string, unknown> } }>;
  tool_name?: string;
}

/**
 * OpenAI params → Ollama's request fields: `max_tokens` is `options.num_predict`, `response_format` is
 * `format` (`json` or the schema); Ollama's own top-level fields stay there, and every other param goes into
 * `options` (`temperature`, `seed`, `num_ctx`, `top_k`, …) over the caller's own `options`.
 */
export function ollamaFields(params: ProviderParams, model: string, provider: string): Record<string, unknown> {
  const { options, max_tokens, max_completion_tokens, response_format, stop, n, ...rest } = params;
  assertOneChoice(n, provider, model);
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
  const format = responseFormatOf(response_format);
  if (format.type === 'json_object') top.format = 'json';
  else if (format.type === 'json_schema' && format.schema) top.format = format.schema;
  if (Object.keys(opts).length > 0) top.options = opts;
  return top;
}

/** The base64 images of a message's `image_url` parts: Ollama takes the bytes, not a URL to fetch. */
function imagesOf(content: PlainMessage['content'], model: string, provider: string): string[] {
  if (!Array.isArray(content)) return [];
  return content
    .filter((part) => part.type === 'image_url')
    .map((part) => {
      const data = dataUrl(imageUrlOf(part));
      if (!data) throw new BadRequestError('ollama takes images as data URLs (data:image/png;base64,…)', { status: 400, provider, model });
      return data.base64;
    });
}

/**
 * LiteLLM's prompt for /api/generate: consecutive user (and tool) messages as one `### User:` block, system
 * messages as `### System:`, assistant messages (with their tool calls) as `### Assistant:`.
 */
export function generatePrompt(messages: readonly PlainMessage[], model: string, provider: string): { prompt: string; images: string[] } {
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
      const calls = (message.tool_calls ?? []).map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.function.name, arguments: parseArguments(call.function.arguments) },
      }));
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
export function chatMessages(messages: readonly PlainMessage[], model: string, provider: string): OllamaMessage[] {
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
export function functionsAsTools(functions: unknown): unknown[] | undefined {
  return Array.isArray(functions) ? functions.map((fn: unknown) => ({ type: 'function', function: fn })) : undefined;
}
