import { seededGaussian } from '@llmcache/redis-semantic';

// The phrasings and their table embedder are the semantic conformance suite's (@llmcache/test-suite),
// shared by both semantic backends; the LSH tests add seeded random vectors.
export { CAPITAL, CAPITAL_LOOSE, CAPITAL_PARAPHRASE, EVEREST, VECTORS, tableEmbedder, user, vectorOf } from '@llmcache/test-suite';

/** Seeded unit vectors, and vectors at a given cosine from them, for indexes past their warm-up. */
export function vectorSource(dim: number, seed = 1): { random(): Float64Array; near(v: Float64Array, cos: number): Float64Array } {
  const gauss = seededGaussian(seed);
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
