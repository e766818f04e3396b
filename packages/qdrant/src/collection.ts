import { CacheConfigError } from '@llmcache/core';
import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import { QdrantRequestError } from './errors';
import type { QdrantQuantization } from './options';
import { INDEXED_FIELDS, VECTOR_NAME } from './points';

/** Qdrant's `quantization_config` for each of LiteLLM's names, with LiteLLM's parameters. */
const QUANTIZATION_CONFIGS: Record<QdrantQuantization, Schemas['QuantizationConfig']> = {
  binary: { binary: { always_ram: false } },
  scalar: { scalar: { type: 'int8', quantile: 0.99, always_ram: false } },
  product: { product: { compression: 'x16', always_ram: false } },
};

/**
 * The collection as this process knows it. Its vector size is learned, never assumed: read from an
 * existing collection, or taken from an embedding when the collection is created. Lookups never create
 * it (nothing is stored yet, so there is nothing to find); writes do. Creating it never embeds anything:
 * an embedder may be a router whose own calls are cached here, and they would wait for the creation.
 */
export class Collection {
  /** The size of its `prompt` vectors, once it is known to exist. */
  size: number | undefined;
  private finding: Promise<number | undefined> | undefined;
  private creating: Promise<number> | undefined;

  constructor(
    private readonly client: QdrantClient,
    readonly name: string,
    private readonly quantization: QdrantQuantization,
    /** Called each time the collection becomes known. */
    private readonly onKnown: () => void,
    /** Sends one request (under the backend's breaker; see `QdrantBreaker.run`). */
    private readonly request: <T>(operation: string, run: () => Promise<T>) => Promise<T>,
  ) {}

  /** The vector size when the collection exists, else undefined. Concurrent callers share one look-up. */
  find(): Promise<number | undefined> {
    if (this.size !== undefined) return Promise.resolve(this.size);
    this.finding ??= this.lookUp().finally(() => (this.finding = undefined));
    return this.finding;
  }

  /** The vector size, creating the collection with vectors of `size` when it does not exist. */
  async ensure(size: number): Promise<number> {
    const found = await this.find();
    if (found !== undefined) return found;
    this.creating ??= this.create(size).finally(() => (this.creating = undefined));
    return this.creating;
  }

  /** Qdrant said it does not exist (someone deleted it): the next write creates it again. */
  forget(): void {
    this.size = undefined;
  }

  private async lookUp(): Promise<number | undefined> {
    const { exists } = await this.request('collection exists', () => this.client.collectionExists(this.name));
    if (!exists) return undefined;
    return this.adopt(await this.request('get collection', () => this.client.getCollection(this.name)));
  }

  private async create(size: number): Promise<number> {
    try {
      await this.request('create collection', () =>
        this.client.createCollection(this.name, {
          vectors: { [VECTOR_NAME]: { size, distance: 'Cosine' } },
          quantization_config: QUANTIZATION_CONFIGS[this.quantization],
        }),
      );
    } catch (err) {
      // 409: another process created it meanwhile. Use theirs, checked like any existing collection.
      if (!(err instanceof QdrantRequestError && err.status === 409)) throw err;
    }
    return this.adopt(await this.request('get collection', () => this.client.getCollection(this.name)));
  }

  /** Checks an existing collection fits (a cosine `prompt` vector) and adds the payload indexes it lacks. */
  private async adopt(info: Schemas['CollectionInfo']): Promise<number> {
    const size = this.promptVectorSize(info.config.params.vectors);
    const missing = Object.entries(INDEXED_FIELDS).filter(([field]) => info.payload_schema[field] === undefined);
    await Promise.all(
      missing.map(([field_name, field_schema]) =>
        this.request(`create payload index ${field_name}`, () => this.client.createPayloadIndex(this.name, { field_name, field_schema, wait: true })),
      ),
    );
    this.size = size;
    this.onKnown();
    return size;
  }

  private promptVectorSize(vectors: Schemas['VectorsConfig'] | undefined): number {
    const unfit = (why: string) =>
      new CacheConfigError(
        'qdrant',
        'qdrantCollectionName',
        `collection "${this.name}" ${why}; llmcache keeps its entries under a cosine vector named "${VECTOR_NAME}": give it a collection of its own`,
      );
    if (vectors === undefined || typeof (vectors as Schemas['VectorParams']).size === 'number') throw unfit('has no named vectors');
    const params = (vectors as Record<string, Schemas['VectorParams'] | undefined>)[VECTOR_NAME];
    if (params === undefined) throw unfit(`has no vector named "${VECTOR_NAME}"`);
    if (params.distance !== 'Cosine') throw unfit(`compares "${VECTOR_NAME}" vectors by ${params.distance}`);
    return params.size;
  }
}
