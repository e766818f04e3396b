// Random-hyperplane LSH: the arithmetic of the index, with no Redis in it.

/** How an index hashes: `tables` hash tables of `bits`-bit codes. */
export interface LshShape {
  tables: number;
  bits: number;
}

/**
 * Gaussian hyperplanes made from a seed: every process that reads the same seed from Redis makes the same
 * planes, so the index needs to store only the seed.
 */
export class Hyperplanes {
  /** `tables * bits` planes of `dim` values, one after the other. */
  private readonly planes: Float64Array;

  constructor(
    seed: number,
    readonly dim: number,
    readonly shape: LshShape,
  ) {
    const gauss = seededGaussian(seed);
    this.planes = new Float64Array(shape.tables * shape.bits * dim);
    for (let i = 0; i < this.planes.length; i++) this.planes[i] = gauss();
  }

  /** The vector's signed distance from every plane, in plane order. */
  project(vector: ArrayLike<number>): Float64Array {
    const { dim, planes } = this;
    const out = new Float64Array(planes.length / dim);
    for (let p = 0, offset = 0; p < out.length; p++, offset += dim) {
      let sum = 0;
      for (let j = 0; j < dim; j++) sum += planes[offset + j]! * vector[j]!;
      out[p] = sum;
    }
    return out;
  }
}

/** Each table's code: bit k is set when the projection on its plane k lies above that plane's threshold. */
export function codesOf(projection: Float64Array, thresholds: Float64Array, shape: LshShape): number[] {
  const codes: number[] = [];
  for (let t = 0; t < shape.tables; t++) {
    let code = 0;
    for (let k = 0; k < shape.bits; k++) if (projection[t * shape.bits + k]! > thresholds[t * shape.bits + k]!) code |= 1 << k;
    codes.push(code);
  }
  return codes;
}

/**
 * Multi-probe: per table, the query's own bucket and the `probes` buckets one bit away, flipping the bits
 * whose planes the query lies closest to (where a near neighbour most likely fell on the other side).
 */
export function probesOf(projection: Float64Array, thresholds: Float64Array, shape: LshShape, probes: number): number[][] {
  const out: number[][] = [];
  const margins = new Array<{ margin: number; bit: number }>(shape.bits);
  for (let t = 0; t < shape.tables; t++) {
    let code = 0;
    for (let k = 0; k < shape.bits; k++) {
      const d = projection[t * shape.bits + k]! - thresholds[t * shape.bits + k]!;
      if (d > 0) code |= 1 << k;
      margins[k] = { margin: Math.abs(d), bit: k };
    }
    margins.sort((a, b) => a.margin - b.margin);
    const codes = [code];
    for (let j = 0; j < Math.min(probes, shape.bits); j++) codes.push(code ^ (1 << margins[j]!.bit));
    out.push(codes);
  }
  return out;
}

/**
 * Per plane, the median projection of a sample: thresholds that split the sample in half on every plane.
 * Real embeddings share a dominant direction, so planes through the origin would put nearly every vector
 * on the same side and into a few huge buckets; thresholds at the median center the data first.
 */
export function medianThresholds(projections: readonly Float64Array[]): Float64Array {
  const planes = projections[0]!.length;
  const out = new Float64Array(planes);
  const column = new Float64Array(projections.length);
  for (let p = 0; p < planes; p++) {
    projections.forEach((proj, i) => (column[i] = proj[p]!));
    column.sort();
    const mid = column.length >> 1;
    out[p] = column.length % 2 === 1 ? column[mid]! : (column[mid - 1]! + column[mid]!) / 2;
  }
  return out;
}

/** A unit vector as int8 values and the scale that brings them back: `v[i] ≈ q[i] * scale`. */
export function quantize(vector: Float64Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (const value of vector) max = Math.max(max, Math.abs(value));
  const scale = max === 0 ? 1 : max / 127;
  const q = new Int8Array(vector.length);
  for (let i = 0; i < vector.length; i++) q[i] = Math.round(vector[i]! / scale);
  return { q, scale };
}

/**
 * Standard normal values from a 32-bit seed (mulberry32, then Box-Muller): the same sequence in every
 * process, which is what lets processes share planes by sharing a seed (and tests and benchmarks make
 * reproducible vectors).
 */
export function seededGaussian(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    let u = uniform();
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * uniform();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
}
