// POST /model/{modelId}/converse and /model/{modelId}/converse-stream (Amazon Bedrock Runtime Converse API).
import { type Exchange, replyText } from './exchange';
import { BEDROCK_CONTEXT_LENGTH_MESSAGE, CONTEXT_OVERFLOW_PHRASE, TOOL_TRIGGER_PHRASE, bedrockError } from './errors';
import { EventStream, encodeFrame } from './event-stream';
import { sendJson } from './http';
import { countWords, fixedPieces, mentions, truncateWords, wordPieces } from './text';

/** The text blocks of a Converse content list, joined with a space. */
function blocksText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .filter((block) => typeof block?.text === 'string')
    .map((block) => block.text as string)
    .join(' ');
}

function lastUserText(messages: any[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return blocksText(messages[i].content);
  return '';
}

/**
 * The tool the model uses, or undefined for a text answer: with `toolConfig.tools` offered, the one named by
 * `toolChoice.tool`, else the first when `toolChoice.any` is set or the last user message says "use a tool".
 */
function chosenTool(body: any, userText: string): string | undefined {
  const tools: any[] = Array.isArray(body.toolConfig?.tools) ? body.toolConfig.tools : [];
  if (tools.length === 0) return undefined;
  const choice = body.toolConfig.toolChoice;
  if (typeof choice?.tool?.name === 'string') return choice.tool.name;
  if (choice?.any !== undefined || mentions(userText, TOOL_TRIGGER_PHRASE)) return String(tools[0]?.toolSpec?.name ?? 'tool');
  return undefined;
}

export async function handleConverse(exchange: Exchange, stream: boolean): Promise<void> {
  const { body, res, state } = exchange;
  const fail = (status: number, message: string): void => {
    const error = bedrockError(status, { message });
    sendJson(res, error.status, error.body, error.headers);
  };
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    fail(400, 'A conversation must start with a user message. Try again with a conversation that starts with a user message.');
    return;
  }
  const allText = `${blocksText(body.system)} ${body.messages.map((m: any) => blocksText(m?.content)).join(' ')}`;
  if (mentions(allText, CONTEXT_OVERFLOW_PHRASE)) {
    fail(400, BEDROCK_CONTEXT_LENGTH_MESSAGE);
    return;
  }
  const userText = lastUserText(body.messages);
  const inputTokens = Math.max(1, countWords(allText));
  const toolName = chosenTool(body, userText);
  let block: { text: string } | { toolUse: { toolUseId: string; name: string; input: { query: string } } };
  let stopReason: 'end_turn' | 'max_tokens' | 'tool_use';
  let outputTokens: number;
  if (toolName !== undefined) {
    block = { toolUse: { toolUseId: state.nextId('tooluse_'), name: toolName, input: { query: userText } } };
    stopReason = 'tool_use';
    outputTokens = Math.max(1, countWords(JSON.stringify(block.toolUse.input)));
  } else {
    const cut = truncateWords(replyText(exchange, userText), body.inferenceConfig?.maxTokens);
    block = { text: cut.text };
    stopReason = cut.truncated ? 'max_tokens' : 'end_turn';
    outputTokens = countWords(cut.text);
  }
  const usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };

  if (!stream) {
    sendJson(
      res,
      200,
      { output: { message: { role: 'assistant', content: [block] } }, stopReason, usage, metrics: { latencyMs: 1 } },
      { 'x-amzn-requestid': state.nextId('req-') },
    );
    return;
  }

  const events: Array<[string, unknown]> = [['messageStart', { role: 'assistant' }]];
  if ('toolUse' in block) {
    events.push(['contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: block.toolUse.toolUseId, name: block.toolUse.name } } }]);
    for (const piece of fixedPieces(JSON.stringify(block.toolUse.input))) {
      events.push(['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: piece } } }]);
    }
  } else {
    for (const piece of wordPieces(block.text)) events.push(['contentBlockDelta', { contentBlockIndex: 0, delta: { text: piece } }]);
  }
  events.push(['contentBlockStop', { contentBlockIndex: 0 }]);
  events.push(['messageStop', { stopReason }]);
  events.push(['metadata', { usage, metrics: { latencyMs: 1 } }]);
  const out = new EventStream(res, exchange.cutAfter);
  if (!out.start()) return;
  for (const [type, payload] of events) if (!(await out.send(encodeFrame('event', type, payload)))) return;
  out.finish();
}
