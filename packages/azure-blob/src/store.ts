import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import type { ObjectStore, StoredObject } from '@llmcache/core';

/** The SDK's errors carry the HTTP status and Azure's error code (`BlobNotFound`, `ContainerNotFound`, …). */
interface RestErrorLike {
  statusCode?: number;
  code?: string;
}

const isNotFound = (err: unknown) => (err as RestErrorLike | null)?.statusCode === 404;
const isContainerMissing = (err: unknown) => (err as RestErrorLike | null)?.code === 'ContainerNotFound';

/**
 * `ObjectStore` on one Azure Blob container: each value is one block blob written whole with a single
 * Put Blob, so a reader sees the old blob or the new one, never a mix; its metadata travels on the same
 * request and comes back on the download's response.
 */
export class AzureBlobStore implements ObjectStore {
  readonly name = 'azure-blob';

  constructor(
    private readonly container: ContainerClient,
    private readonly createContainer: boolean,
  ) {}

  async read(name: string, signal: AbortSignal): Promise<StoredObject | undefined> {
    try {
      const response = await this.blob(name).download(0, undefined, { abortSignal: signal });
      // The SDK ties the body to the signal too: a server that stalls mid-body is abandoned in time.
      const body = await buffer(response.readableStreamBody as Readable);
      return { body: body.toString('utf8'), metadata: response.metadata ?? {} };
    } catch (err) {
      if (isNotFound(err)) return undefined; // no blob, or no container yet
      throw err;
    }
  }

  async write(name: string, body: string, metadata: Record<string, string>, signal: AbortSignal): Promise<void> {
    const data = Buffer.from(body, 'utf8');
    const put = () =>
      this.blob(name).upload(data, data.length, {
        metadata,
        blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
        abortSignal: signal,
      });
    try {
      await put();
    } catch (err) {
      if (!this.createContainer || !isContainerMissing(err)) throw err;
      // Created on the first write that needs it, so reads and later writes never pay for a check.
      await this.container.createIfNotExists({ abortSignal: signal });
      await put();
    }
  }

  async remove(name: string, signal: AbortSignal): Promise<void> {
    try {
      await this.blob(name).deleteIfExists({ abortSignal: signal });
    } catch (err) {
      if (!isNotFound(err)) throw err; // a missing container holds no blob to remove
    }
  }

  async list(prefix: string, token: string | undefined, signal: AbortSignal): Promise<{ names: string[]; token?: string | undefined }> {
    try {
      const pages = this.container.listBlobsFlat({ prefix, abortSignal: signal }).byPage({ continuationToken: token, maxPageSize: 1000 });
      const page = (await pages.next()).value as { segment: { blobItems: { name: string }[] }; continuationToken?: string } | undefined;
      return { names: page?.segment.blobItems.map((blob) => blob.name) ?? [], token: page?.continuationToken === '' ? undefined : page?.continuationToken };
    } catch (err) {
      if (isContainerMissing(err)) return { names: [] }; // no container yet: nothing to clear
      throw err;
    }
  }

  /** True when the container answers (creating it first when missing, unless `createContainer` is off). */
  async ping(signal: AbortSignal): Promise<boolean> {
    if (await this.container.exists({ abortSignal: signal })) return true;
    if (!this.createContainer) return false;
    await this.container.createIfNotExists({ abortSignal: signal });
    return true;
  }

  private blob(name: string): BlockBlobClient {
    return this.container.getBlockBlobClient(name);
  }
}
