// POST /v1/embeddings and Azure /openai/deployments/{deployment}/embeddings.
import { embeddingToBase64, fakeEmbedding } from './embedding';
import type { Exchange } from './exchange';
import { openAIError } from './errors';
import { sendJson } from './http';
import { countWords } from './text';

/**
 * The input texts: a string gives one, an array of strings one each; token arrays (numbers) are embedded
 * as their numbers joined with spaces. Undefined when the input is missing, empty or of another type.
 */
export function embeddingInputs(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((item) => typeof item === 'number')) return [input.join(' ')];
  const texts: string[] = [];
  for (const item of input) {
    if (typeof item === 'string') texts.push(item);
    else if (Array.isArray(item) && item.every((token) => typeof token === 'number')) texts.push(item.join(' '));
    else return undefined;
  }
  return texts;
}

export async function handleEmbeddings(exchange: Exchange): Promise<void> {
  const { body, model, res } = exchange;
  const configured = exchange.state.embedding(model);
  const texts = embeddingInputs(body.input);
  if (texts === undefined) {
    sendJson(
      res,
      400,
      openAIError(400, {
        message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
        param: 'input',
        code: null,
      }),
    );
    return;
  }
  const base64 = body.encoding_format === 'base64';
  const tokens = texts.reduce((sum, text) => sum + countWords(text), 0);
  sendJson(res, 200, {
    object: 'list',
    data: texts.map((text, index) => {
      const vector = configured?.(text) ?? fakeEmbedding(text);
      return { object: 'embedding', index, embedding: base64 ? embeddingToBase64(vector) : vector };
    }),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
