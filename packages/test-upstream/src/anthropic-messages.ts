// POST /v1/messages (Anthropic Messages API).
import { type Exchange, replyText } from './exchange';
import { ANTHROPIC_CONTEXT_LENGTH_MESSAGE, CONTEXT_OVERFLOW_PHRASE, TOOL_TRIGGER_PHRASE, anthropicError } from './errors';
import { SseStream, sendJson } from './http';
import { allMessagesText, contentText, countWords, fixedPieces, lastUserText, mentions, truncateWords, wordPieces } from './text';

/**
 * The tool the model uses, or undefined for a text answer: with `tools` offered, the one named by
 * `tool_choice: { type: 'tool', name }`, else the first tool when `tool_choice.type` is `'any'` or the last
 * user message says "use a tool" (never with `tool_choice.type: 'none'`).
 */
export function chosenTool(body: any, userText: string): string | undefined {
  const tools: unknown[] = Array.isArray(body.tools) ? body.tools : [];
  if (tools.length === 0) return undefined;
  const choice = body.tool_choice;
  const type = typeof choice === 'object' && choice !== null ? choice.type : undefined;
  if (type === 'none') return undefined;
  if (type === 'tool' && typeof choice.name === 'string') return choice.name;
  if (type === 'any' || type === 'tool' || mentions(userText, TOOL_TRIGGER_PHRASE)) {
    return String((tools[0] as any)?.name ?? 'tool');
  }
  return undefined;
}

export async function handleMessages(exchange: Exchange): Promise<void> {
  const { body, model, res, state } = exchange;
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    sendJson(res, 400, anthropicError(400, { message: 'messages: at least one message is required' }));
    return;
  }
  if (typeof body.max_tokens !== 'number') {
    sendJson(res, 400, anthropicError(400, { message: 'max_tokens: Field required' }));
    return;
  }
  const allText = `${contentText(body.system)} ${allMessagesText(body.messages)}`;
  if (mentions(allText, CONTEXT_OVERFLOW_PHRASE)) {
    sendJson(res, 400, anthropicError(400, { message: ANTHROPIC_CONTEXT_LENGTH_MESSAGE }));
    return;
  }

  const userText = lastUserText(body.messages);
  const id = state.nextId('msg_');
  const inputTokens = Math.max(1, countWords(allText));
  const toolName = chosenTool(body, userText);

  let block: { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: { query: string } };
  let stopReason: 'end_turn' | 'max_tokens' | 'tool_use';
  let outputTokens: number;
  if (toolName !== undefined) {
    block = { type: 'tool_use', id: state.nextId('toolu_'), name: toolName, input: { query: userText } };
    stopReason = 'tool_use';
    outputTokens = Math.max(1, countWords(JSON.stringify(block.input)));
  } else {
    const cut = truncateWords(replyText(exchange, userText), body.max_tokens);
    block = { type: 'text', text: cut.text };
    stopReason = cut.truncated ? 'max_tokens' : 'end_turn';
    outputTokens = countWords(cut.text);
  }

  if (body.stream !== true) {
    sendJson(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [block],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: outputTokens },
    });
    return;
  }

  const stream = new SseStream(res, exchange.cutAfter);
  if (!stream.start()) return;
  const events: Array<[string, object]> = [
    [
      'message_start',
      {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: inputTokens, output_tokens: 1 },
        },
      },
    ],
  ];
  if (block.type === 'tool_use') {
    events.push([
      'content_block_start',
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } },
    ]);
    for (const piece of fixedPieces(JSON.stringify(block.input))) {
      events.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: piece } }]);
    }
  } else {
    events.push(['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }]);
    for (const piece of wordPieces(block.text)) {
      events.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }]);
    }
  }
  events.push(['content_block_stop', { type: 'content_block_stop', index: 0 }]);
  events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }]);
  for (const [name, data] of events) if (!(await stream.send(data, name))) return;
  stream.finish({ event: 'message_stop', data: { type: 'message_stop' } });
}
