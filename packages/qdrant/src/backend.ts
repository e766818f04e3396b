import {
  CacheConfigError,
  LlmcacheError,
  PromptVectors,
  type BackendEntry,
  type Embedder,
  type SemanticBackend,
  type SemanticMatch,
  type SemanticScope,
} from '@llmcache/core';
import { untilAborted } from '@llmcache/core/internal';
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { Collection } from './collection';
import { QdrantBreaker } from './breaker';
import { QdrantVectorSizeError, isMissingCollection } from './errors';
import { resolveOptions, type QdrantSemanticBackendOptions } from './options';
import { VECTOR_NAME, candidatesFilter, clearFilter, expiredFilter, liveValue, payloadOf, pointId } from './points';

/** Search parameters LiteLLM uses: with quantized vectors, rescore the best candidates on the originals. */
const SEARCH_PARAMS: Schemas['SearchParams'] = { quantization: { ignore: false, rescore: true, oversampling: 3.0 } };

/**
 * A semantic cache on Qdrant. Every entry is one point of the collection, its id derived from the cache
 * key, its stored string in the payload: `get` reads it by id, whatever the embedding. An entry written
 * with a prompt also carries the prompt's embedding, its namespace, scope and expiry, so that
 * `findSimilar` asks Qdrant for the closest entry of the same namespace and scope that has not expired,
 * at or above the threshold, in one query.
 *
 * Qdrant has no expiry of its own: lookups filter on the expiry, `get` checks it, and expired points are
 * deleted in the background (see `sweep`).
 */
export class QdrantSemanticBackend implements SemanticBackend {
  readonly name = 'qdrant';
  /** The model group (or `provider/model`) the router supplies embeddings for; undefined when an `embedder` was given. */
  readonly embeddingModel: string | undefined;
  private readonly client: QdrantClient;
  private readonly collection: Collection;
  /** Every request goes through it: a Qdrant that stops answering costs one timeout, then none until it answers. */
  private readonly breaker: QdrantBreaker;
  private readonly sweepIntervalMs: number;
  /** The embedder, checked and memoised: the lookup of a miss and the write after it embed the prompt once. */
  private readonly vectors: PromptVectors;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private sweeping: Promise<void> | undefined;
  private closed = false;

  /** Throws a `CacheConfigError` naming the option when one is missing or wrong (the environment counts, see the options). */
  constructor(options: QdrantSemanticBackendOptions = {}) {
    const o = resolveOptions(options);
    try {
      // No version check at start: it would be a request nobody waits for, and warns on the console when Qdrant is down.
      this.client = new QdrantClient({ url: o.url, apiKey: o.apiKey, timeout: o.timeoutMs, checkCompatibility: false });
    } catch (err) {
      throw new CacheConfigError('qdrant', 'qdrantApiBase', (err as Error).message, { cause: err });
    }
    const client = this.client;
    this.breaker = new QdrantBreaker(o.timeoutMs, () => client.versionInfo());
    const send = <T>(operation: string, run: () => Promise<T>) => this.breaker.run(operation, run);
    this.collection = new Collection(this.client, o.collection, o.quantization, () => this.startSweeping(), send);
    this.vectors = new PromptVectors('qdrant', o.embedder);
    this.embeddingModel = o.embeddingModel;
    this.sweepIntervalMs = o.sweepIntervalMs;
  }

  /** The collection's name. */
  get collectionName(): string {
    return this.collection.name;
  }

  setEmbedder(embedder: Embedder): void {
    this.vectors.setEmbedder(embedder);
  }

  async get(key: string): Promise<string | undefined> {
    const [value] = await this.getMany([key]);
    return value;
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const points = await this.read('retrieve', () =>
      this.client.retrieve(this.collectionName, { ids: keys.map(pointId), with_payload: true, with_vector: false }),
    );
    const byId = new Map(points?.map((point) => [String(point.id), point.payload]));
    const now = Date.now();
    return keys.map((key) => liveValue(key, byId.get(pointId(key)), now));
  }

  /**
   * Stores an entry that only `get` finds: it has no prompt, so no vector. Declined (false, nothing
   * stored) while the collection does not exist and no embedding has told its vector size yet.
   */
  set(key: string, value: string, ttlMs: number | null): Promise<boolean> {
    return this.upsert([{ id: pointId(key), vector: {}, payload: payloadOf(key, value, ttlMs) }], undefined);
  }

  setMany(entries: readonly BackendEntry[]): Promise<boolean> {
    const now = Date.now();
    return this.upsert(
      entries.map((e) => ({ id: pointId(e.key), vector: {}, payload: payloadOf(e.key, e.value, e.ttlMs, now) })),
      undefined,
    );
  }

  async delete(key: string): Promise<void> {
    await this.read('delete', () => this.client.delete(this.collectionName, { points: [pointId(key)], wait: true }));
  }

  /** Deletes the entries of exactly `namespace` (every entry when omitted) with one delete by filter; no collection, nothing to do. */
  async clear(namespace?: string): Promise<void> {
    if ((await this.collection.find()) === undefined) return;
    await this.read('clear', () => this.client.delete(this.collectionName, { filter: clearFilter(namespace), wait: true }));
  }

  /** Without an embedder the entry is stored by key only, as `set` does. */
  async setWithPrompt(key: string, prompt: string, value: string, ttlMs: number | null, options: SemanticScope): Promise<void> {
    this.assertOpen();
    if (!this.vectors.hasEmbedder) {
      await this.set(key, value, ttlMs);
      return;
    }
    const vector = Array.from(await this.vectors.vector(prompt));
    const payload = { ...payloadOf(key, value, ttlMs), namespace: options.namespace ?? '', scope: options.scope };
    await this.upsert([{ id: pointId(key), vector: { [VECTOR_NAME]: vector }, payload }], vector.length);
  }

  async findSimilar(prompt: string, options: SemanticScope & { threshold: number; signal?: AbortSignal | undefined }): Promise<SemanticMatch | undefined> {
    this.assertOpen();
    const { signal } = options;
    signal?.throwIfAborted();
    if (!this.vectors.hasEmbedder) return undefined;
    // Before embedding: with no collection nothing was ever stored, and the embedding would be wasted.
    const size = await untilAborted(this.collection.find(), signal);
    if (size === undefined) return undefined;
    const vector = Array.from(await this.vectors.vector(prompt, signal));
    if (vector.length !== size) throw new QdrantVectorSizeError(this.collectionName, size, vector.length);
    const found = await this.read('query', () =>
      untilAborted(
        this.client.query(this.collectionName, {
          query: vector,
          using: VECTOR_NAME,
          filter: candidatesFilter(options.namespace, options.scope, Date.now()),
          score_threshold: options.threshold,
          limit: 1,
          with_payload: true,
          params: SEARCH_PARAMS,
        }),
        signal,
      ),
    );
    const best = found?.points[0];
    if (!best) return undefined;
    const { key, value } = best.payload ?? {};
    if (typeof key !== 'string' || typeof value !== 'string')
      throw new LlmcacheError('qdrant', `point ${String(best.id)} of collection "${this.collectionName}" is not an llmcache entry`);
    return { key, value, similarity: best.score };
  }

  /** Whether Qdrant answers (its version endpoint); throws its error when it does not, which `Cache.ping()` reports. */
  async ping(): Promise<boolean> {
    this.assertOpen();
    await this.breaker.run('ping', () => this.client.versionInfo());
    return true;
  }

  /**
   * Deletes every expired entry from the collection (one delete by filter). Runs by itself every
   * `sweepIntervalMs` once the collection is known; call it to sweep now. Throws when Qdrant fails.
   */
  async sweep(): Promise<void> {
    if ((await this.collection.find()) === undefined) return;
    await this.read('delete expired', () => this.client.delete(this.collectionName, { filter: expiredFilter(Date.now()), wait: true }));
  }

  /** Stops the background sweep (waiting for one under way) and refuses later calls. The client keeps no socket that holds the process. */
  async close(): Promise<void> {
    this.closed = true;
    this.breaker.stop();
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.sweeping;
  }

  private startSweeping(): void {
    if (this.sweepTimer !== undefined || this.closed) return;
    this.sweepTimer = setInterval(() => {
      // A failed sweep is tried again at the next tick; lookups never see expired entries meanwhile.
      this.sweeping ??= this.sweep()
        .catch(() => undefined)
        .finally(() => (this.sweeping = undefined));
    }, this.sweepIntervalMs);
    this.sweepTimer.unref?.();
  }

  /** A request that reads or deletes: a missing collection holds nothing, so it answers undefined. */
  private async read<T>(operation: string, run: () => Promise<T>): Promise<T | undefined> {
    this.assertOpen();
    try {
      return await this.breaker.run(operation, run);
    } catch (err) {
      if (!isMissingCollection(err)) throw err;
      this.collection.forget();
      return undefined;
    }
  }

  /**
   * Writes points, creating the collection first when needed (and again if it was deleted meanwhile).
   * `vectorSize` is the size of the points' vectors; undefined for points without one, which create the
   * collection only when the embedder has already told the size, and are declined (false) otherwise.
   */
  private async upsert(points: Schemas['PointStruct'][], vectorSize: number | undefined): Promise<boolean> {
    this.assertOpen();
    if (points.length === 0) return true;
    for (let attempt = 1; ; attempt++) {
      const sizeForCreation = vectorSize ?? this.vectors.dimension;
      const size = sizeForCreation === undefined ? await this.collection.find() : await this.collection.ensure(sizeForCreation);
      if (size === undefined) return false;
      if (vectorSize !== undefined && vectorSize !== size) throw new QdrantVectorSizeError(this.collectionName, size, vectorSize);
      try {
        await this.breaker.run('upsert', () => this.client.upsert(this.collectionName, { points, wait: true }));
        return true;
      } catch (err) {
        if (attempt > 1 || !isMissingCollection(err)) throw err;
        this.collection.forget();
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LlmcacheError('qdrant', `the backend of collection "${this.collectionName}" is closed`);
  }
}
