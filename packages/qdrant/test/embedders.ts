import { createHash } from 'node:crypto';
import type { Embedder } from '@llmcache/core';

/** An embedder that records what it was asked to embed. */
export interface RecordingEmbedder extends Embedder {
  /** Every text embedded, in order. */
  readonly texts: string[];
}

/** An embedder giving `vectorOf(text)` for each text, recording the texts. */
function recording(vectorOf: (text: string) => number[]): RecordingEmbedder {
  const texts: string[] = [];
  return {
    texts,
    async embed(inputs) {
      return inputs.map((text) => {
        texts.push(text);
        return vectorOf(text);
      });
    },
  };
}

/**
 * Fixed vectors for known phrasings, so that the similarity of each pair is known in advance. Any other
 * text is an error: a test never embeds something it did not plan for.
 */
export function tableEmbedder(table: Readonly<Record<string, readonly number[]>>): RecordingEmbedder {
  return recording((text) => {
    const vector = table[text];
    if (!vector) throw new Error(`the test embedder has no vector for ${JSON.stringify(text)}`);
    return [...vector];
  });
}

/** A vector of `size` for any text, from its sha256: unrelated texts are far apart, the same text is the same vector. */
export function hashEmbedder(size = 8): RecordingEmbedder {
  return recording((text) => {
    const digest = createHash('sha256').update(text).digest();
    return Array.from({ length: size }, (_, i) => digest[i]! / 255 - 0.5);
  });
}

/** Vectors of four dimensions with known cosine similarities (the phrasings the semantic tests use). */
export const PHRASES = {
  capital: 'What is the capital of France?',
  capitalReworded: 'Tell me the capital city of France',
  bread: 'How do I bake bread?',
  north: 'north',
  northEast: 'north-east',
} as const;

export const TABLE: Record<string, number[]> = {
  [PHRASES.capital]: [1, 0.05, 0, 0],
  [PHRASES.capitalReworded]: [0.97, 0.12, 0.05, 0], // cosine with capital: 0.996
  [PHRASES.bread]: [0, 0, 1, 0.1], // cosine with capital: 0
  // Normalised, these are [1,0,0,0] and [0.5,0.5,0.5,0.5]: their cosine is exactly 0.5, even in 32-bit floats.
  [PHRASES.north]: [2, 0, 0, 0],
  [PHRASES.northEast]: [1, 1, 1, 1],
};
