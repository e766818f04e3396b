import { createHash } from 'node:crypto';

/** Number of dimensions of every vector the server returns. */
export const EMBEDDING_DIMENSIONS = 8;

/**
 * The embedding the server returns for a text: the first 8 bytes of SHA-256(UTF-8 text), each mapped to
 * `byte / 255 - 0.5`, then scaled to unit length. Equal texts give equal vectors; different texts almost
 * surely give different ones.
 */
export function fakeEmbedding(text: string): number[] {
  const digest = createHash('sha256').update(text, 'utf8').digest();
  const raw = Array.from(digest.subarray(0, EMBEDDING_DIMENSIONS), (byte) => byte / 255 - 0.5);
  const norm = Math.hypot(...raw); // never 0: byte / 255 is never exactly 0.5
  return raw.map((value) => value / norm);
}

/** The vector as OpenAI sends it for `encoding_format: 'base64'`: little-endian float32 values, base64. */
export function embeddingToBase64(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}
