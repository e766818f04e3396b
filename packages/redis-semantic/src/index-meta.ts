import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { Hyperplanes, type LshShape } from './lsh';

export type Client = (Redis | Cluster) & Record<string, (...args: unknown[]) => Promise<unknown>>;

/** The index as Redis describes it. */
export interface Meta {
  ver: string;
  dim: number;
  shape: LshShape;
  planes: Hyperplanes;
  /** Set once the warm-up sample fixed them. */
  thresholds: Float64Array | undefined;
}

/** How long "no index yet" is believed before Redis is asked again. */
const ABSENT_RECHECK_MS = 1000;

/**
 * The index's description in Redis (its version, dimension, hyperplane seed and shape, and the thresholds
 * once the warm-up fixed them), as this process last read it, with the hyperplanes it implies.
 */
export class IndexMeta {
  private cached: { value: Promise<Meta | undefined>; at: number } | undefined;
  private planes: { seed: number; planes: Hyperplanes } | undefined;

  constructor(
    private readonly client: Client,
    private readonly run: <T>(op: () => Promise<T>) => Promise<T>,
    private readonly metaKey: string,
    private readonly tag: string,
    private readonly shape: LshShape,
  ) {}

  /** Drops what was read, so that the next look asks Redis again (after the index changed). */
  forget(): void {
    this.cached = undefined;
  }

  /** The index's description, made from this vector's length when there is none yet. */
  async ensure(dim: number, reload = false): Promise<Meta> {
    const known = await this.current(reload);
    if (known) return known;
    const gen = randomBytes(6).toString('hex');
    const seed = randomBytes(4).readUInt32LE(0);
    const fields = (await this.run(() =>
      this.client.llmcacheSemInitBuffer!(1, this.metaKey, `${gen}:warm`, dim, seed, this.shape.tables, this.shape.bits),
    )) as (Buffer | null)[];
    const meta = this.parseMeta(fields);
    this.cached = { value: Promise.resolve(meta), at: Date.now() };
    if (!meta) throw new Error('the index description could not be made');
    return meta;
  }

  /** The description as last read (read again when asked, or while there was none for a second). */
  current(reload = false): Promise<Meta | undefined> {
    const cached = this.cached;
    if (!reload && cached) {
      return cached.value.then((meta) => (meta || Date.now() - cached.at < ABSENT_RECHECK_MS ? meta : this.current(true)));
    }
    const value = this.run(() => this.client.hmgetBuffer(this.metaKey, 'ver', 'dim', 'seed', 'tables', 'bits', 'th')).then((fields) => this.parseMeta(fields));
    const entry = { value, at: Date.now() };
    this.cached = entry;
    // A failed read is not remembered.
    value.catch(() => this.cached === entry && (this.cached = undefined));
    return value;
  }

  private parseMeta(fields: (Buffer | null)[]): Meta | undefined {
    const [ver, dim, seed, tables, bits, th] = fields;
    if (!ver || !dim || !seed || !tables || !bits) return undefined;
    const shape = { tables: Number(tables.toString()), bits: Number(bits.toString()) };
    const dimension = Number(dim.toString());
    const seedValue = Number(seed.toString());
    if (
      this.planes?.seed !== seedValue ||
      this.planes.planes.dim !== dimension ||
      this.planes.planes.shape.tables !== shape.tables ||
      this.planes.planes.shape.bits !== shape.bits
    ) {
      this.planes = { seed: seedValue, planes: new Hyperplanes(seedValue, dimension, shape) };
    }
    const thresholds = th?.length === shape.tables * shape.bits * 8 ? new Float64Array(new Uint8Array(th).buffer) : undefined;
    return { ver: ver.toString(), dim: dimension, shape, planes: this.planes.planes, thresholds };
  }

  checkDimension(meta: Meta, dim: number): void {
    if (meta.dim !== dim) {
      throw new Error(
        `index ${this.tag} holds ${meta.dim}-dimension vectors and the embedder answered ${dim}: give another embedding model its own index name`,
      );
    }
  }
}
