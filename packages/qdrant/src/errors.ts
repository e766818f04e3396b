import { CacheConfigError, LlmcacheError } from '@llmcache/core';

/**
 * The embedding model gives vectors of another size than the collection holds: the collection was made
 * with another model. Thrown by lookups and writes, so `Cache` reports it as an `error` event and the
 * call goes upstream; nothing is stored in or read from that collection until the two agree.
 */
export class QdrantVectorSizeError extends CacheConfigError {
  readonly collection: string;
  /** The vector size the collection was created with. */
  readonly collectionSize: number;
  /** The size of the vectors the embedder returns. */
  readonly embeddingSize: number;
  constructor(collection: string, collectionSize: number, embeddingSize: number) {
    super(
      'qdrant',
      'qdrantCollectionName',
      `collection "${collection}" holds vectors of size ${collectionSize} but the embedding model gives ${embeddingSize}: ` +
        'use a collection of its own for each embedding model',
    );
    this.collection = collection;
    this.collectionSize = collectionSize;
    this.embeddingSize = embeddingSize;
  }
}

/** A Qdrant request failed: the server answered with an error, timed out, or could not be reached. */
export class QdrantRequestError extends LlmcacheError {
  /** The HTTP status Qdrant answered with; undefined when there was no answer. */
  readonly status: number | undefined;
  /** Qdrant's own words (`status.error` of its answer), or the network error's message. */
  readonly detail: string;
  constructor(operation: string, status: number | undefined, detail: string, cause: unknown) {
    super('qdrant', `${operation} failed${status === undefined ? '' : ` (HTTP ${status})`}: ${detail}`, { cause });
    this.status = status;
    this.detail = detail;
  }
}

/**
 * Runs one request of `@qdrant/js-client-rest` and turns what it throws into a `QdrantRequestError`
 * carrying Qdrant's message. The client throws the fetcher's `ApiError` (with `status` and the parsed
 * body) for an error answer, and its own errors for timeouts and bad responses.
 */
export async function request<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toRequestError(operation, err);
  }
}

export function toRequestError(operation: string, err: unknown): QdrantRequestError {
  if (err instanceof QdrantRequestError) return err;
  const { status, data } = err as { status?: unknown; data?: unknown };
  const answered = typeof status === 'number' ? status : undefined;
  const said = (data as { status?: { error?: unknown } } | null | undefined)?.status?.error;
  return new QdrantRequestError(operation, answered, typeof said === 'string' ? said : describeFailure(err), err);
}

/**
 * What went wrong when Qdrant did not answer: fetch's own message says nothing, its cause does. Read by
 * shape, not `instanceof`: fetch's errors may come from another realm (a test sandbox, a bundler's copy).
 */
function describeFailure(err: unknown): string {
  const { name, message, cause } = (err ?? {}) as { name?: unknown; message?: unknown; cause?: { message?: unknown } };
  if (typeof message !== 'string') return String(err);
  // The client aborts a request at its timeout: in Node it rethrows that as its QdrantClientTimeoutError.
  if (name === 'QdrantClientTimeoutError' || name === 'AbortError') return 'no answer within timeoutMs';
  return typeof cause?.message === 'string' && cause.message !== '' ? `${message} (${cause.message})` : message;
}

/** Whether Qdrant said the collection does not exist (it was deleted, or never made). */
export function isMissingCollection(err: unknown): boolean {
  return err instanceof QdrantRequestError && err.status === 404;
}
