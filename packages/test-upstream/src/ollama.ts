// POST /api/generate, /api/chat and /api/embed (Ollama's native API). Ollama streams unless the body says
// `stream: false`: one JSON object per line (`application/x-ndjson`), the last with `done: true`, the
// `done_reason` and the token counts (`prompt_eval_count`, `eval_count`).
import { fakeEmbedding } from './embedding';
import { type Exchange, replyText } from './exchange';
import { TOOL_TRIGGER_PHRASE, ollamaError } from './errors';
import { SseStream, sendJson } from './http';
import { contentText, countWords, lastUserText, mentions, truncateWords, wordPieces } from './text';

/** The timings and counts Ollama adds to its last object; durations are in nanoseconds. */
function stats(promptTokens: number, completionTokens: number) {
  return {
    total_duration: 1_000_000,
    load_duration: 100_000,
    prompt_eval_count: promptTokens,
    prompt_eval_duration: 200_000,
    eval_count: completionTokens,
    eval_duration: 700_000,
  };
}

/** The function the model calls: with `tools` offered, the first one, when the last user message says "use a tool". */
function chosenFunction(body: any, userText: string): string | undefined {
  const tools: any[] = Array.isArray(body.tools) ? body.tools : [];
  if (tools.length === 0 || !mentions(userText, TOOL_TRIGGER_PHRASE)) return undefined;
  return String(tools[0]?.function?.name ?? 'tool');
}

/** What to say: the reply cut to `options.num_predict` words (`done_reason: 'length'`). */
function reply(exchange: Exchange, input: string): { text: string; doneReason: 'stop' | 'length' } {
  const cut = truncateWords(replyText(exchange, input), exchange.body.options?.num_predict);
  return { text: cut.text, doneReason: cut.truncated ? 'length' : 'stop' };
}

/** Streams `pieces` as Ollama does: one line each, then the last line with `done: true`. */
async function streamLines(exchange: Exchange, pieces: unknown[], last: unknown): Promise<void> {
  const out = new SseStream(exchange.res, exchange.cutAfter, 'application/x-ndjson');
  if (!out.start()) return;
  for (const piece of pieces) if (!(await out.sendRaw(`${JSON.stringify(piece)}\n`))) return;
  if (await out.sendRaw(`${JSON.stringify(last)}\n`)) out.finish();
}

function badRequest(exchange: Exchange, message: string): void {
  sendJson(exchange.res, 400, ollamaError(400, { message }));
}

export async function handleOllamaGenerate(exchange: Exchange): Promise<void> {
  const { body, model } = exchange;
  if (body.prompt !== undefined && typeof body.prompt !== 'string') return badRequest(exchange, 'json: cannot unmarshal prompt into a string');
  const prompt = `${typeof body.system === 'string' ? `${body.system} ` : ''}${body.prompt ?? ''}`;
  const { text, doneReason } = reply(exchange, body.prompt ?? '');
  const head = { model, created_at: new Date().toISOString() };
  const promptTokens = Math.max(1, countWords(prompt));
  const last = { ...head, response: '', done: true, done_reason: doneReason, context: [1, 2, 3], ...stats(promptTokens, countWords(text)) };
  if (body.stream === false) {
    sendJson(exchange.res, 200, { ...last, response: text });
    return;
  }
  await streamLines(
    exchange,
    wordPieces(text).map((piece) => ({ ...head, response: piece, done: false })),
    last,
  );
}

export async function handleOllamaChat(exchange: Exchange): Promise<void> {
  const { body, model } = exchange;
  if (!Array.isArray(body.messages)) return badRequest(exchange, 'messages is required');
  if (body.messages.some((m: any) => typeof m?.role !== 'string')) return badRequest(exchange, 'invalid message: role is required');
  const userText = lastUserText(body.messages);
  const head = { model, created_at: new Date().toISOString() };
  const promptTokens = Math.max(1, countWords(body.messages.map((m: any) => contentText(m?.content)).join(' ')));
  const functionName = chosenFunction(body, userText);
  if (functionName !== undefined) {
    // Ollama sends a tool call whole, arguments as an object, in one message.
    const message = { role: 'assistant', content: '', tool_calls: [{ function: { name: functionName, arguments: { query: userText } } }] };
    const done = { ...head, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', ...stats(promptTokens, 5) };
    if (body.stream === false) sendJson(exchange.res, 200, { ...done, message });
    else await streamLines(exchange, [{ ...head, message, done: false }], done);
    return;
  }
  const { text, doneReason } = reply(exchange, userText);
  const last = { ...head, message: { role: 'assistant', content: '' }, done: true, done_reason: doneReason, ...stats(promptTokens, countWords(text)) };
  if (body.stream === false) {
    sendJson(exchange.res, 200, { ...last, message: { role: 'assistant', content: text } });
    return;
  }
  await streamLines(
    exchange,
    wordPieces(text).map((piece) => ({ ...head, message: { role: 'assistant', content: piece }, done: false })),
    last,
  );
}

export async function handleOllamaEmbed(exchange: Exchange): Promise<void> {
  const { body, model } = exchange;
  const input: unknown = body.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((item) => typeof item === 'string') ? input : undefined;
  if (texts === undefined) return badRequest(exchange, 'invalid input type');
  const tokens = texts.reduce((sum, text) => sum + countWords(text), 0);
  sendJson(exchange.res, 200, { model, embeddings: texts.map(fakeEmbedding), total_duration: 1_000_000, load_duration: 100_000, prompt_eval_count: tokens });
}
