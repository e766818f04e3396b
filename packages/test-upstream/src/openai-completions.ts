// POST /v1/completions and Azure /openai/deployments/{deployment}/completions (legacy text completion).
import { type Exchange, positiveInt, replyText, unixSeconds } from './exchange';
import { CONTEXT_LENGTH_MESSAGE, CONTEXT_OVERFLOW_PHRASE, openAIError } from './errors';
import { SseStream, sendJson } from './http';
import { countWords, mentions, truncateWords, wordPieces } from './text';

/** The prompt text: a string as is, the first element of an array (token arrays joined with spaces). */
export function promptText(prompt: unknown): string | undefined {
  if (typeof prompt === 'string') return prompt;
  if (!Array.isArray(prompt) || prompt.length === 0) return undefined;
  const first: unknown = prompt[0];
  if (typeof first === 'string') return first;
  if (typeof first === 'number') return prompt.join(' ');
  if (Array.isArray(first)) return first.join(' ');
  return undefined;
}

export async function handleTextCompletion(exchange: Exchange): Promise<void> {
  const { body, model, res, state } = exchange;
  const prompt = promptText(body.prompt);
  if (prompt === undefined) {
    sendJson(res, 400, openAIError(400, { message: "Missing required parameter: 'prompt'.", param: 'prompt', code: 'missing_required_parameter' }));
    return;
  }
  if (mentions(prompt, CONTEXT_OVERFLOW_PHRASE)) {
    sendJson(res, 400, openAIError(400, { message: CONTEXT_LENGTH_MESSAGE, param: 'prompt', code: 'context_length_exceeded' }));
    return;
  }

  const n = positiveInt(body.n, 1);
  const id = state.nextId('cmpl-');
  const created = unixSeconds();
  const cut = truncateWords(replyText(exchange, prompt), body.max_tokens);
  const text = cut.text;
  const finishReason = cut.truncated ? 'length' : 'stop';
  const promptTokens = Math.max(1, countWords(prompt));
  const completionTokens = countWords(text) * n;
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };

  if (body.stream !== true) {
    sendJson(res, 200, {
      id,
      object: 'text_completion',
      created,
      model,
      choices: Array.from({ length: n }, (_, index) => ({ text, index, logprobs: null, finish_reason: finishReason })),
      usage,
    });
    return;
  }

  const stream = new SseStream(res, exchange.cutAfter);
  if (!stream.start()) return;
  const chunk = (index: number, piece: string, finish: string | null): object => ({
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ text: piece, index, logprobs: null, finish_reason: finish }],
  });
  for (const piece of wordPieces(text)) {
    for (let index = 0; index < n; index++) if (!(await stream.send(chunk(index, piece, null)))) return;
  }
  for (let index = 0; index < n; index++) if (!(await stream.send(chunk(index, '', finishReason)))) return;
  if (body.stream_options?.include_usage === true) {
    if (!(await stream.send({ id, object: 'text_completion', created, model, choices: [], usage }))) return;
  }
  stream.finish({ data: '[DONE]' });
}
