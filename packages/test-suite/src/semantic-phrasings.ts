// A fixed table of vectors for known phrasings, so that similarities are known exactly. Keys are the texts
// the cache embeds for a one-message chat (`user: <content>`), as core's messagesText builds them.

export const CAPITAL = 'What is the capital of France?';
/** cos 0.9 with CAPITAL. */
export const CAPITAL_PARAPHRASE = 'Tell me the capital city of France';
/** cos 0.8 with CAPITAL. */
export const CAPITAL_LOOSE = "France's capital, which is it?";
/** cos 0 with all of the above. */
export const EVEREST = 'How tall is Mount Everest?';

export const VECTORS: Readonly<Record<string, number[]>> = {
  [`user: ${CAPITAL}`]: [1, 0, 0, 0],
  [`user: ${CAPITAL_PARAPHRASE}`]: [0.9, Math.sqrt(1 - 0.81), 0, 0],
  [`user: ${CAPITAL_LOOSE}`]: [0.8, 0, 0.6, 0],
  [`user: ${EVEREST}`]: [0, 0, 0, 1],
  // The image is a placeholder in the text, so any image with CAPITAL gives this text (the scope tells them apart).
  [`user: ${CAPITAL} [image_url]`]: [1, 0, 0, 0],
};

/** The table's vector of a text; a text it does not know is a test mistake. */
export function vectorOf(text: string): number[] {
  const vector = VECTORS[text];
  if (!vector) throw new Error(`no vector in the table for ${JSON.stringify(text)}`);
  return vector;
}

/** An embedder over the table that counts its calls. */
export function tableEmbedder(): { embed: (texts: readonly string[]) => Promise<number[][]>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    embed: async (texts) => {
      calls.push(...texts);
      return texts.map(vectorOf);
    },
  };
}

export const user = (content: unknown) => [{ role: 'user', content }];
