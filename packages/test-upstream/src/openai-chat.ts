// POST /v1/chat/completions and Azure /openai/deployments/{deployment}/chat/completions.
import { type Exchange, positiveInt, replyText, unixSeconds } from './exchange';
import { CONTEXT_LENGTH_MESSAGE, CONTEXT_OVERFLOW_PHRASE, TOOL_TRIGGER_PHRASE, openAIError } from './errors';
import { SseStream, sendJson } from './http';
import { allMessagesText, countWords, fixedPieces, lastUserText, mentions, truncateWords, wordPieces } from './text';

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * The function the model calls, or undefined for a text answer: with `tools` offered, the function named
 * by an object `tool_choice`, else the first tool when `tool_choice` is `'required'` or the last user
 * message says "use a tool" (never with `tool_choice: 'none'`).
 */
export function chosenFunction(body: any, userText: string): string | undefined {
  const tools: unknown[] = Array.isArray(body.tools) ? body.tools : [];
  if (tools.length === 0) return undefined;
  const choice = body.tool_choice;
  if (choice === 'none') return undefined;
  if (typeof choice === 'object' && choice !== null && typeof choice.function?.name === 'string') return choice.function.name;
  if (choice === 'required' || mentions(userText, TOOL_TRIGGER_PHRASE)) {
    const first = tools[0] as any;
    return String(first?.function?.name ?? first?.name ?? 'tool');
  }
  return undefined;
}

export async function handleChatCompletion(exchange: Exchange): Promise<void> {
  const { body, model, res, state } = exchange;
  if (!Array.isArray(body.messages)) {
    sendJson(res, 400, openAIError(400, { message: "Missing required parameter: 'messages'.", param: 'messages', code: 'missing_required_parameter' }));
    return;
  }
  if (body.messages.length === 0) {
    sendJson(res, 400, openAIError(400, { message: "[] is too short - 'messages'", param: 'messages', code: null }));
    return;
  }
  const allText = allMessagesText(body.messages);
  if (mentions(allText, CONTEXT_OVERFLOW_PHRASE)) {
    sendJson(res, 400, openAIError(400, { message: CONTEXT_LENGTH_MESSAGE, param: 'messages', code: 'context_length_exceeded' }));
    return;
  }

  const userText = lastUserText(body.messages);
  const n = positiveInt(body.n, 1);
  const id = state.nextId('chatcmpl-');
  const created = unixSeconds();
  const promptTokens = Math.max(1, countWords(allText));
  const functionName = chosenFunction(body, userText);

  let content: string | null = null;
  let toolCall: ToolCall | undefined;
  let finishReason: 'stop' | 'length' | 'tool_calls';
  let completionWords: number;
  if (functionName !== undefined) {
    toolCall = {
      id: state.nextId('call_'),
      type: 'function',
      function: { name: functionName, arguments: JSON.stringify({ query: userText }) },
    };
    finishReason = 'tool_calls';
    completionWords = Math.max(1, countWords(toolCall.function.arguments));
  } else {
    const cut = truncateWords(replyText(exchange, userText), body.max_completion_tokens ?? body.max_tokens);
    content = cut.text;
    finishReason = cut.truncated ? 'length' : 'stop';
    completionWords = countWords(content);
  }
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionWords * n,
    total_tokens: promptTokens + completionWords * n,
  };

  if (body.stream !== true) {
    const message = toolCall !== undefined ? { role: 'assistant', content: null, tool_calls: [toolCall] } : { role: 'assistant', content, refusal: null };
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: null,
      choices: Array.from({ length: n }, (_, index) => ({ index, message, logprobs: null, finish_reason: finishReason })),
      usage,
    });
    return;
  }

  const stream = new SseStream(res, exchange.cutAfter);
  if (!stream.start()) return;
  const chunk = (index: number, delta: object, finish: string | null = null): object => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index, delta, logprobs: null, finish_reason: finish }],
  });
  const deltas: object[] = [];
  if (toolCall !== undefined) {
    deltas.push({
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: '' } }],
    });
    for (const piece of fixedPieces(toolCall.function.arguments)) deltas.push({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
  } else {
    deltas.push({ role: 'assistant', content: '' });
    for (const piece of wordPieces(content ?? '')) deltas.push({ content: piece });
  }
  for (const delta of deltas) {
    for (let index = 0; index < n; index++) if (!(await stream.send(chunk(index, delta)))) return;
  }
  for (let index = 0; index < n; index++) if (!(await stream.send(chunk(index, {}, finishReason)))) return;
  if (body.stream_options?.include_usage === true) {
    if (!(await stream.send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage }))) return;
  }
  stream.finish({ data: '[DONE]' });
}
