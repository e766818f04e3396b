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

/** Seeded unit vectors, and vectors at a given cosine from them, for indexes past their warm-up. */
export function vectorSource(dim: number, seed = 1): { random(): Float64Array; near(v: Float64Array, cos: number): Float64Array } {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
  const unit = (v: Float64Array) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const random = () => unit(Float64Array.from({ length: dim }, gauss));
  return {
    random,
    near(v, cos) {
      // Another random direction, made orthogonal to v, mixed in: cos(result, v) is exactly `cos`.
      const r = random();
      const along = r.reduce((sum, x, i) => sum + x * v[i]!, 0);
      const orthogonal = unit(r.map((x, i) => x - along * v[i]!));
      return unit(v.map((x, i) => cos * x + Math.sqrt(1 - cos * cos) * orthogonal[i]!));
    },
  };
}
