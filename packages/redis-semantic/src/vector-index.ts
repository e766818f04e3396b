import { createHash } from 'node:crypto';
import type { RedisClient } from '@llmcache/redis';
import { IndexMeta, type Client, type Meta } from './index-meta';
import { codesOf, medianThresholds, probesOf, quantize, type LshShape } from './lsh';
import { decodeRecord, encodeHead, encodeRecord, scoreHead, tailOffset } from './record';
import { ADD, FREEZE, INIT, REMOVE } from './scripts';

/** How the index hashes and searches; the hashing (`tables`, `bits`) is fixed by whoever creates the index. */
export interface IndexShape extends LshShape {
  /** Extra buckets probed per table, one bit away from the query's own. */
  probes: number;
  /** Entries sampled (and searched one by one) before the thresholds are fixed and hashing starts. */
  warmUp: number;
}

export const DEFAULT_SHAPE: IndexShape = { tables: 20, bits: 16, probes: 3, warmUp: 128 };

/** A match: the entry's key and its exact cosine similarity to the query. */
export interface IndexMatch {
  key: string;
  similarity: number;
}

/**
 * Similarities are computed from float32 vectors: a match this close below the threshold is a float
 * rounding away from it, and counts as reaching it.
 */
const ROUNDING = 1e-6;
/** Candidates whose int8 score is this close below the threshold still get an exact look. */
const QUANTIZATION_SLACK = 0.05;
/** Candidates read whole for the exact cosine, best int8 score first. */
const RERANKED = 4;
/** Expired entries a write removes along the way. */
const SWEEP = 16;
/** A record outlives its entry by this much, so a sweep can still read which buckets to clean. */
const RECORD_GRACE_MS = 10 * 60_000;
/** Most candidates one search reads: bounds the work of a degenerate index (every prompt alike). */
const MAX_CANDIDATES = 4096;

/**
 * Random-hyperplane LSH over plain Redis data types (no vector module): per scope, `tables` hash tables
 * whose buckets are Redis sets of entry ids; each entry's record holds its int8 and float32 vectors. A
 * search reads the candidates' int8 heads in one script, ranks them here, and reads the best few whole
 * for the exact cosine. Every key carries the index's hash tag, so it works on a cluster (in one slot).
 */
export class RedisVectorIndex {
  readonly tag: string;
  private readonly client: Client;
  private readonly meta: IndexMeta;

  /** `client`: an ioredis `Redis` or `Cluster` (typed by shape, as `@llmcache/redis` types it); `run` guards each call. */
  constructor(
    client: RedisClient,
    private readonly run: <T>(op: () => Promise<T>) => Promise<T>,
    prefix: string,
    indexName: string,
    private readonly shape: IndexShape = DEFAULT_SHAPE,
  ) {
    this.client = client as unknown as Client;
    this.tag = `{${prefix}:${indexName}}`;
    this.meta = new IndexMeta(this.client, run, this.key('meta'), this.tag, shape);
    for (const [name, lua] of Object.entries({ llmcacheSemInit: INIT, llmcacheSemAdd: ADD, llmcacheSemFreeze: FREEZE, llmcacheSemRemove: REMOVE })) {
      if (typeof this.client[name] !== 'function') this.client.defineCommand(name, { lua });
    }
  }

  private key(part: string): string {
    return `${this.tag}:${part}`;
  }

  /** Indexes `key` by `vector` (unit length) in the scope. */
  async add(key: string, vector: Float64Array, scopeId: string, ttlMs: number | null): Promise<void> {
    let meta = await this.meta.ensure(vector.length);
    const now = Date.now();
    for (let attempt = 0; attempt < 3; attempt++) {
      const args = this.addArgs(meta, key, vector, scopeId, ttlMs, now);
      const answer = (await this.run(() => this.client.llmcacheSemAdd!(...args))) as number;
      if (answer >= 0) {
        if (answer >= this.shape.warmUp) await this.freeze(meta);
        return;
      }
      meta = await this.meta.ensure(vector.length, true);
    }
    throw new Error('the index changed under three writes in a row');
  }

  /**
   * Indexes many entries at once: one pipeline per `batch` entries once the index is past its warm-up
   * (the warm-up itself goes one entry at a time). Vectors must be unit length.
   */
  async addMany(entries: readonly { key: string; vector: Float64Array; scopeId: string; ttlMs: number | null }[], batch = 1000): Promise<void> {
    let next = 0;
    while (next < entries.length && !(await this.meta.ensure(entries[next]!.vector.length)).thresholds) {
      const e = entries[next++]!;
      await this.add(e.key, e.vector, e.scopeId, e.ttlMs);
    }
    while (next < entries.length) {
      const meta = await this.meta.ensure(entries[next]!.vector.length);
      const chunk = entries.slice(next, next + batch);
      const pipeline = this.client.pipeline() as unknown as Record<string, (...args: unknown[]) => unknown> & {
        exec(): Promise<[Error | null, unknown][] | null>;
      };
      for (const e of chunk) pipeline.llmcacheSemAdd!(...this.addArgs(meta, e.key, e.vector, e.scopeId, e.ttlMs, Date.now()));
      const answers = this.results(await this.run(() => pipeline.exec()));
      // An entry the index's change refused is added again one by one.
      for (const [i, answer] of answers.entries()) if (answer === -1) await this.add(chunk[i]!.key, chunk[i]!.vector, chunk[i]!.scopeId, chunk[i]!.ttlMs);
      next += chunk.length;
    }
  }

  /** The arguments of the add script for one entry, numkeys first. */
  private addArgs(meta: Meta, key: string, vector: Float64Array, scopeId: string, ttlMs: number | null, now: number): unknown[] {
    this.meta.checkDimension(meta, vector.length);
    const id = entryId(key);
    const expiresAt = ttlMs === null ? 0 : now + ttlMs;
    const codes = meta.thresholds ? codesOf(meta.planes.project(vector), meta.thresholds, meta.shape) : [];
    const buckets = codes.map((code, t) => this.bucketKey(scopeId, t, code));
    const px = ttlMs === null ? 0 : Math.ceil(ttlMs) + RECORD_GRACE_MS;
    return [
      5 + buckets.length,
      this.key('meta'),
      this.key('warm'),
      this.key('exp'),
      this.key('h'),
      this.recordKey(id),
      ...buckets,
      meta.ver,
      id,
      encodeHead(vector, scopeId, expiresAt),
      encodeRecord(vector, scopeId, codes, key),
      px,
      expiresAt,
      now,
      this.key('r:'),
      this.key('b:'),
      tailOffset(meta.dim),
      SWEEP,
    ];
  }

  /** Entries of the scope whose cosine similarity to `vector` is at least `threshold`, most similar first. */
  async search(vector: Float64Array, scopeId: string, threshold: number): Promise<IndexMatch[]> {
    let meta = await this.meta.current();
    for (let attempt = 0; meta && attempt < 2; attempt++) {
      this.meta.checkDimension(meta, vector.length);
      const buckets = meta.thresholds
        ? probesOf(meta.planes.project(vector), meta.thresholds, meta.shape, this.shape.probes).flatMap((codes, t) =>
            codes.map((code) => this.bucketKey(scopeId, t, code)),
          )
        : [];
      const candidates = await this.candidates(meta, buckets);
      if (candidates) return this.rank(candidates.ids, candidates.heads, meta, vector, scopeId, threshold);
      meta = await this.meta.current(true);
    }
    return [];
  }

  /**
   * The ids in the probed buckets and the warm-up list (at most MAX_CANDIDATES) and their heads, in two
   * pipelined round trips of plain commands (a script would copy every head through Lua twice); undefined
   * when the index is not the one `meta` describes. Ids whose head is gone are dropped where they were met.
   */
  private async candidates(meta: Meta, buckets: string[]): Promise<{ ids: string[]; heads: (Buffer | null)[] } | undefined> {
    const first = this.client.pipeline().hget(this.key('meta'), 'ver').lrange(this.key('warm'), 0, -1);
    if (buckets.length > 0) first.sunion(...buckets);
    const [ver, warm, union] = this.results(await this.run(() => first.exec())) as [string | null, string[], string[] | undefined];
    if (ver !== meta.ver) return undefined;
    const ids = [...new Set([...(union ?? []), ...warm])].slice(0, MAX_CANDIDATES);
    if (ids.length === 0) return { ids, heads: [] };
    const second = this.client.pipeline();
    for (let from = 0; from < ids.length; from += 1000) second.hmgetBuffer(this.key('h'), ...ids.slice(from, from + 1000));
    const heads = (this.results(await this.run(() => second.exec())) as (Buffer | null)[][]).flat();
    const gone = ids.filter((_, i) => !heads[i]);
    if (gone.length > 0) {
      const cleanup = this.client.pipeline();
      for (const bucket of buckets) cleanup.srem(bucket, ...gone);
      for (const id of gone) cleanup.lrem(this.key('warm'), 0, id);
      void this.run(() => cleanup.exec()).catch(() => undefined); // best effort: the next search tries again
    }
    return { ids, heads };
  }

  /** The replies of a pipeline, or the first error in it. */
  private results(replies: [Error | null, unknown][] | null): unknown[] {
    if (!replies) throw new Error('Redis pipeline was aborted');
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0]!; // found by its error, so never null
    return replies.map(([, value]) => value);
  }

  /** Ranks candidates by their int8 vectors, then reads the best few whole for the exact cosine. */
  private async rank(ids: string[], heads: (Buffer | null)[], meta: Meta, vector: Float64Array, scopeId: string, threshold: number): Promise<IndexMatch[]> {
    const now = Date.now();
    const query = quantize(vector);
    const scope = Buffer.from(scopeId, 'latin1');
    const best: { id: string; score: number }[] = [];
    for (let i = 0; i < ids.length; i++) {
      const raw = heads[i];
      if (!raw) continue;
      const id = ids[i]!;
      const score = query.scale * scoreHead(raw, query.q, scope, now);
      // NaN (another scope, expired) fails this test too.
      if (!(score >= threshold - QUANTIZATION_SLACK)) continue;
      if (best.length === RERANKED && score <= best[RERANKED - 1]!.score) continue;
      best.push({ id, score });
      best.sort((a, b) => b.score - a.score);
      if (best.length > RERANKED) best.pop();
    }
    if (best.length === 0) return [];
    const records = await this.run<(Buffer | null)[]>(() => this.client.mgetBuffer(best.map((b) => this.recordKey(b.id))));
    const matches: IndexMatch[] = [];
    for (const raw of records) {
      const record = raw && decodeRecord(raw, meta.dim);
      if (record?.scopeId !== scopeId) continue;
      let similarity = 0;
      for (let j = 0; j < meta.dim; j++) similarity += vector[j]! * record.vector[j]!;
      if (similarity >= threshold - ROUNDING) matches.push({ key: record.key, similarity: Math.min(1, similarity) });
    }
    return matches.sort((a, b) => b.similarity - a.similarity);
  }

  /** Takes `key` out of the index. */
  async remove(key: string): Promise<void> {
    const meta = await this.meta.current();
    if (!meta) return;
    const id = entryId(key);
    await this.run(() =>
      this.client.llmcacheSemRemove!(4, this.key('warm'), this.key('exp'), this.key('h'), this.recordKey(id), id, this.key('b:'), tailOffset(meta.dim)),
    );
  }

  /** Fixes each plane's threshold at the median of the warm-up sample, and hashes the sample into buckets. */
  private async freeze(meta: Meta): Promise<void> {
    const ids = await this.run(() => this.client.lrange(this.key('warm'), 0, -1));
    if (ids.length === 0) return;
    const raws = await this.run<(Buffer | null)[]>(() => this.client.mgetBuffer(ids.map((id) => this.recordKey(id))));
    const sample: { id: string; projection: Float64Array }[] = [];
    raws.forEach((raw, i) => {
      const record = raw && decodeRecord(raw, meta.dim);
      if (record) sample.push({ id: ids[i]!, projection: meta.planes.project(record.vector) });
    });
    if (sample.length === 0) return;
    const thresholds = medianThresholds(sample.map((s) => s.projection));
    const pairs = sample.flatMap((s) => [s.id, codesOf(s.projection, thresholds, meta.shape).join(',')]);
    const frozenVer = `${meta.ver.split(':')[0]}:frozen`;
    const th = Buffer.from(thresholds.buffer, thresholds.byteOffset, thresholds.byteLength);
    await this.run(() =>
      this.client.llmcacheSemFreeze!(
        2,
        this.key('meta'),
        this.key('warm'),
        meta.ver,
        frozenVer,
        th,
        this.key('r:'),
        this.key('b:'),
        tailOffset(meta.dim),
        ...pairs,
      ),
    );
    this.meta.forget();
  }

  private recordKey(id: string): string {
    return `${this.tag}:r:${id}`;
  }

  private bucketKey(scopeId: string, table: number, code: number): string {
    return `${this.tag}:b:${scopeId}:${table}:${code}`;
  }
}

/** A 52-bit integer id from the key's hash: Redis keeps sets of integers compactly (intset), and Lua's numbers hold it exactly. */
function entryId(key: string): string {
  return String(parseInt(createHash('sha256').update(key).digest('hex').slice(0, 13), 16));
}

/** The 64-bit id of a namespace and scope, in bucket keys and records. */
export function scopeId(namespace: string | undefined, scope: string): string {
  return createHash('sha256')
    .update(`${namespace ?? ''}\n${scope}`)
    .digest('hex')
    .slice(0, 16);
}
