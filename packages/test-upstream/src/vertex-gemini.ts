// POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent and
// :streamGenerateContent?alt=sse (Vertex AI Gemini).
import { type Exchange, replyText } from './exchange';
import { CONTEXT_OVERFLOW_PHRASE, SAFETY_BLOCK_PHRASE, TOOL_TRIGGER_PHRASE, googleError } from './errors';
import { SseStream, sendJson } from './http';
import { countWords, mentions, truncateWords, wordPieces } from './text';

/** The text parts of a Gemini content, joined with a space. */
function partsText(content: unknown): string {
  const parts = (content as { parts?: unknown } | undefined)?.parts;
  if (!Array.isArray(parts)) return '';
  return parts
    .filter((part) => typeof part?.text === 'string')
    .map((part) => part.text as string)
    .join(' ');
}

function lastUserText(contents: any[]): string {
  for (let i = contents.length - 1; i >= 0; i--) if (contents[i]?.role === 'user') return partsText(contents[i]);
  return '';
}

/**
 * The function the model calls, or undefined for a text answer: with `functionDeclarations` offered, the
 * first of `allowedFunctionNames` or the first declared when the mode is `ANY`, or when the last user message
 * says "use a tool" (never with mode `NONE`).
 */
function chosenFunction(body: any, userText: string): string | undefined {
  const declarations: any[] = (Array.isArray(body.tools) ? body.tools : []).flatMap((tool: any) =>
    Array.isArray(tool?.functionDeclarations) ? tool.functionDeclarations : [],
  );
  if (declarations.length === 0) return undefined;
  const config = body.toolConfig?.functionCallingConfig ?? {};
  if (config.mode === 'NONE') return undefined;
  if (config.mode === 'ANY' || mentions(userText, TOOL_TRIGGER_PHRASE)) {
    return String(
      Array.isArray(config.allowedFunctionNames) && config.allowedFunctionNames.length > 0 ? config.allowedFunctionNames[0] : (declarations[0]?.name ?? 'tool'),
    );
  }
  return undefined;
}

/** One whole answer: as JSON, or streamed as a single SSE event of the same shape. */
async function sendWhole(exchange: Exchange, answer: unknown, stream: boolean): Promise<void> {
  if (!stream) {
    sendJson(exchange.res, 200, answer);
    return;
  }
  const out = new SseStream(exchange.res, exchange.cutAfter);
  if (out.start() && (await out.send(answer))) out.finish();
}

export async function handleGenerateContent(exchange: Exchange, stream: boolean): Promise<void> {
  const { body, model, res, state } = exchange;
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    sendJson(res, 400, googleError(400, { message: 'Unable to submit request because it must include at least one parts field.' }));
    return;
  }
  const allText = `${partsText(body.systemInstruction)} ${body.contents.map(partsText).join(' ')}`;
  if (mentions(allText, CONTEXT_OVERFLOW_PHRASE)) {
    sendJson(res, 400, googleError(400, { message: 'The input token count (9000) exceeds the maximum number of tokens allowed (4096).' }));
    return;
  }
  const userText = lastUserText(body.contents);
  const promptTokenCount = Math.max(1, countWords(allText));
  if (mentions(allText, SAFETY_BLOCK_PHRASE)) {
    // A blocked prompt is a 200 without candidates, saying why (streamed: one event of that shape).
    const blocked = {
      promptFeedback: { blockReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] },
      usageMetadata: { promptTokenCount, totalTokenCount: promptTokenCount },
      modelVersion: model,
      responseId: state.nextId('resp_'),
    };
    await sendWhole(exchange, blocked, stream);
    return;
  }
  const functionName = chosenFunction(body, userText);
  const responseId = state.nextId('resp_');
  const usage = (candidatesTokenCount: number) => ({ promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount });
  const answer = (parts: unknown[], finishReason: string | undefined, usageMetadata?: unknown) => ({
    candidates: [{ content: { role: 'model', parts }, index: 0, ...(finishReason ? { finishReason } : {}) }],
    ...(usageMetadata ? { usageMetadata } : {}),
    modelVersion: model,
    responseId,
  });

  if (functionName !== undefined) {
    const call = { functionCall: { name: functionName, args: { query: userText } } };
    await sendWhole(exchange, answer([call], 'STOP', usage(Math.max(1, countWords(JSON.stringify(call.functionCall.args))))), stream);
    return;
  }

  const cut = truncateWords(replyText(exchange, userText), body.generationConfig?.maxOutputTokens);
  const finishReason = cut.truncated ? 'MAX_TOKENS' : 'STOP';
  if (!stream) {
    sendJson(res, 200, answer([{ text: cut.text }], finishReason, usage(countWords(cut.text))));
    return;
  }
  // As Vertex streams: text pieces, the last one carrying the finish reason and the usage.
  const pieces = wordPieces(cut.text);
  if (pieces.length === 0) pieces.push('');
  const out = new SseStream(res, exchange.cutAfter);
  if (!out.start()) return;
  for (const [i, piece] of pieces.entries()) {
    const last = i === pieces.length - 1;
    if (!(await out.send(answer([{ text: piece }], last ? finishReason : undefined, last ? usage(countWords(cut.text)) : undefined)))) return;
  }
  out.finish();
}
