import {
  CacheConfigError,
  PromptVectors,
  type BackendEntry,
  type Embedder,
  type SemanticBackend,
  type SemanticMatch,
  type SemanticScope,
} from '@llmcache/core';
import { nonEmptyString, positiveInteger } from '@llmcache/core/internal';
import { RedisBackend } from '@llmcache/redis';
import type { RedisSemanticBackendOptions } from './options';
import { DEFAULT_SHAPE, RedisVectorIndex, scopeId, type IndexShape } from './vector-index';

const PKG = 'redis-semantic';

/**
 * A semantic cache on any Redis-compatible server (plain Redis 7, Valkey, a cluster): exact entries as
 * `@llmcache/redis` stores them, plus a vector index of their prompts in plain Redis sets and strings.
 * `Cache` tries the exact key first; `findSimilar` costs one embedding and a few round trips.
 */
export class RedisSemanticBackend implements SemanticBackend {
  readonly name = 'redis-semantic';
  readonly embeddingModel: string | undefined;
  /** The exact entries: `get`, `set`, `delete` and the lock go to it. */
  readonly exact: RedisBackend;
  readonly index: RedisVectorIndex;
  private readonly vectors: PromptVectors;

  constructor(options: RedisSemanticBackendOptions = {}) {
    const { indexName = 'litellm_semantic_cache_index', embeddingModel, embedder, index, ...redis } = options;
    nonEmptyString(PKG, 'indexName', indexName);
    if (embeddingModel !== undefined) nonEmptyString(PKG, 'embeddingModel', embeddingModel);
    const shape = indexShape(index);
    this.embeddingModel = embedder ? undefined : (embeddingModel ?? 'text-embedding-ada-002');
    this.vectors = new PromptVectors(PKG, embedder);
    this.exact = new RedisBackend(redis);
    const run = <T>(op: () => Promise<T>) => this.exact.command(() => op());
    this.index = new RedisVectorIndex(this.exact.client, run, this.exact.prefix, indexName, shape);
  }

  get lock() {
    return this.exact.lock;
  }

  setEmbedder(embedder: Embedder): void {
    this.vectors.setEmbedder(embedder);
  }

  get(key: string): Promise<string | undefined> {
    return this.exact.get(key);
  }

  set(key: string, value: string, ttlMs: number | null): Promise<void> {
    return this.exact.set(key, value, ttlMs);
  }

  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return this.exact.getMany(keys);
  }

  setMany(entries: readonly BackendEntry[]): Promise<void> {
    return this.exact.setMany(entries);
  }

  async delete(key: string): Promise<void> {
    await Promise.all([this.exact.delete(key), this.index.remove(key)]);
  }

  /**
   * Deletes the exact entries of `namespace` (every entry when omitted). Their index records stay until
   * they expire or are overwritten, but never match: a match is served only with its exact entry.
   */
  async clear(namespace?: string): Promise<void> {
    await this.exact.clear(namespace);
  }

  /** Undefined without an embedder. An entry whose value is gone (expired, evicted) gives way to the next best. */
  async findSimilar(prompt: string, options: SemanticScope & { threshold: number; signal?: AbortSignal | undefined }): Promise<SemanticMatch | undefined> {
    if (!this.vectors.hasEmbedder) return undefined;
    const vector = await this.vectors.vector(prompt, options.signal);
    const matches = await this.index.search(vector, scopeId(options.namespace, options.scope), options.threshold);
    for (const match of matches) {
      const value = await this.exact.get(match.key);
      if (value !== undefined) return { value, similarity: match.similarity, key: match.key };
    }
    return undefined;
  }

  /** The value is stored before it is indexed, so a match always finds it; without an embedder it is only stored. */
  async setWithPrompt(key: string, prompt: string, value: string, ttlMs: number | null, options: SemanticScope): Promise<void> {
    await this.exact.set(key, value, ttlMs);
    if (!this.vectors.hasEmbedder) return;
    const vector = await this.vectors.vector(prompt);
    await this.index.add(key, vector, scopeId(options.namespace, options.scope), ttlMs);
  }

  ping(): Promise<boolean> {
    return this.exact.ping();
  }

  close(): Promise<void> {
    return this.exact.close();
  }
}

function indexShape(given: Partial<IndexShape> | undefined): IndexShape {
  if (given === undefined) return DEFAULT_SHAPE;
  if (typeof given !== 'object' || given === null) throw new CacheConfigError(PKG, 'index', 'must be an object like { tables, bits, probes, warmUp }');
  const shape = { ...DEFAULT_SHAPE, ...given };
  for (const name of ['tables', 'bits', 'warmUp'] as const) positiveInteger(PKG, `index.${name}`, shape[name]);
  if (shape.bits > 30) throw new CacheConfigError(PKG, 'index.bits', `must be at most 30, got ${shape.bits}`);
  if (!Number.isInteger(shape.probes) || shape.probes < 0 || shape.probes > shape.bits) {
    throw new CacheConfigError(PKG, 'index.probes', `must be a whole number from 0 to index.bits (${shape.bits}), got ${String(shape.probes)}`);
  }
  return shape;
}
