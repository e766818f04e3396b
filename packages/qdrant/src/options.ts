import { CacheConfigError, type CacheOptions, type EmbedFunction, type Embedder } from '@llmcache/core';
import { describeValue, nonEmptyString, requireOption, timerMilliseconds } from '@llmcache/core/internal';

/** How Qdrant compresses the stored vectors, as LiteLLM's `qdrant_quantization_config` (core checks the name at `new Cache()`). */
export type QdrantQuantization = NonNullable<CacheOptions['qdrantQuantizationConfig']>;

export interface QdrantSemanticBackendOptions {
  /**
   * Qdrant's REST URL, e.g. `http://localhost:6333` or a Qdrant Cloud cluster URL.
   * @default process.env.QDRANT_URL, else process.env.QDRANT_API_BASE (required one way or the other)
   */
  qdrantApiBase?: string;
  /**
   * Sent as the `api-key` header.
   * @default process.env.QDRANT_API_KEY, else none
   */
  qdrantApiKey?: string;
  /**
   * The collection holding the entries; created on first write (cosine distance, the vector size of the
   * first embedding). Give each embedding model its own collection.
   * @default none: required
   */
  qdrantCollectionName?: string;
  /**
   * Quantization of a collection this backend creates; an existing collection keeps its own.
   * @default 'binary' (as LiteLLM)
   */
  qdrantQuantizationConfig?: QdrantQuantization;
  /**
   * Computes the embeddings: an `Embedder`, or a function `(texts) => vectors`.
   * @default none: the Router that uses the cache supplies one for `embeddingModel`
   */
  embedder?: Embedder | EmbedFunction;
  /**
   * The embedding model by name: a model group of the Router that uses the cache, else a `provider/model`;
   * the Router supplies the embedder. Ignored when `embedder` is given.
   * @default 'text-embedding-ada-002'
   */
  embeddingModel?: string;
  /**
   * Longest wait for one Qdrant request, in ms; a slower one fails (and `Cache` turns it into a miss).
   * @default 2000
   */
  timeoutMs?: number;
  /**
   * How often expired entries are deleted from the collection in the background, in ms. The timer never
   * keeps the process alive, and lookups never match an expired entry whatever this is.
   * @default 60000
   */
  sweepIntervalMs?: number;
}

/** The options of `new Cache({ type: 'qdrant-semantic', … })`, by this backend's names. */
export function qdrantOptionsFromCacheOptions(options: CacheOptions): QdrantSemanticBackendOptions {
  return {
    qdrantApiBase: options.qdrantApiBase,
    qdrantApiKey: options.qdrantApiKey,
    qdrantCollectionName: options.qdrantCollectionName,
    qdrantQuantizationConfig: options.qdrantQuantizationConfig,
    embeddingModel: options.qdrantSemanticCacheEmbeddingModel,
    embedder: options.embedder,
    timeoutMs: options.operationTimeoutMs,
  };
}

const DEFAULT_EMBEDDING_MODEL = 'text-embedding-ada-002';
const QUANTIZATIONS: readonly QdrantQuantization[] = ['binary', 'scalar', 'product'];

/** The options with the environment and defaults applied, checked. */
export interface ResolvedOptions {
  url: string;
  apiKey: string | undefined;
  collection: string;
  quantization: QdrantQuantization;
  embedder: Embedder | EmbedFunction | undefined;
  /** Undefined when an `embedder` was given: the Router then supplies none. */
  embeddingModel: string | undefined;
  timeoutMs: number;
  sweepIntervalMs: number;
}

/** Applies the environment (as LiteLLM reads it) and the defaults; throws `CacheConfigError` naming the bad option. */
export function resolveOptions(options: QdrantSemanticBackendOptions, env: Record<string, string | undefined> = process.env): ResolvedOptions {
  const url = requireOption(
    'qdrant',
    'qdrantApiBase',
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- a variable set to '' counts as unset
    options.qdrantApiBase ?? (env.QDRANT_URL || env.QDRANT_API_BASE),
    'or QDRANT_URL / QDRANT_API_BASE in the environment',
  );
  if (!/^https?:\/\//.test(nonEmptyString('qdrant', 'qdrantApiBase', url))) {
    throw new CacheConfigError('qdrant', 'qdrantApiBase', `must be an http:// or https:// URL, got ${describeValue(url)}`);
  }
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- a variable set to '' counts as unset
  const apiKey = options.qdrantApiKey ?? (env.QDRANT_API_KEY || undefined);
  if (apiKey !== undefined) nonEmptyString('qdrant', 'qdrantApiKey', apiKey);
  const collection = collectionName(requireOption('qdrant', 'qdrantCollectionName', options.qdrantCollectionName));
  const quantization = options.qdrantQuantizationConfig ?? 'binary';
  if (!QUANTIZATIONS.includes(quantization)) {
    throw new CacheConfigError('qdrant', 'qdrantQuantizationConfig', `must be one of ${QUANTIZATIONS.join(', ')}, got ${describeValue(quantization)}`);
  }
  // Checked by the PromptVectors it is given to.
  const { embedder } = options;
  const embeddingModel = nonEmptyString('qdrant', 'embeddingModel', options.embeddingModel ?? DEFAULT_EMBEDDING_MODEL);
  return {
    url,
    apiKey,
    collection,
    quantization,
    embedder,
    embeddingModel: embedder ? undefined : embeddingModel,
    timeoutMs: timerMilliseconds('qdrant', 'timeoutMs', options.timeoutMs ?? 2000),
    sweepIntervalMs: timerMilliseconds('qdrant', 'sweepIntervalMs', options.sweepIntervalMs ?? 60_000),
  };
}

// Qdrant refuses these in a collection name (with a 422) and names longer than 255 characters.
const FORBIDDEN_IN_NAME = /[<>:"/\\|?*\0\u001f]/;

function collectionName(value: unknown): string {
  const name = nonEmptyString('qdrant', 'qdrantCollectionName', value);
  if (name.length > 255 || FORBIDDEN_IN_NAME.test(name)) {
    throw new CacheConfigError(
      'qdrant',
      'qdrantCollectionName',
      `must be 1-255 characters without < > : " / \\ | ? * or control characters, got ${describeValue(name)}`,
    );
  }
  return name;
}
