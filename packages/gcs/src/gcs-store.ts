import type { Bucket } from '@google-cloud/storage';
import type { ObjectStore, StoredObject } from '@llmcache/core';
import { LENGTH_METADATA, untilAborted } from '@llmcache/core/internal';

const META_HEADER = 'x-goog-meta-';

/**
 * The GCS calls behind `ObjectStoreBackend`. The SDK takes no abort signal, and on Node its `timeout`
 * reaches no socket (its HTTP layer drops it), so every call here settles when the signal fires; a
 * download is also torn down then. A request that is still unanswered keeps its socket until the
 * server answers or closes it.
 */
export class GcsStore implements ObjectStore {
  readonly name = 'gcs';

  constructor(
    private readonly bucket: Bucket,
    private readonly prefix: string,
  ) {}

  /**
   * One request: the media download, whose `x-goog-meta-*` headers carry the object's metadata from the
   * same generation as the bytes. When they are missing (a proxy dropped them), the metadata of that very
   * generation is asked for as well; if it is gone meanwhile, the object was replaced: a miss.
   */
  async read(name: string, signal: AbortSignal): Promise<StoredObject | undefined> {
    signal.throwIfAborted();
    const download = this.bucket.file(name).createReadStream();
    let headers: Record<string, string | undefined> = {};
    download.once('response', (response: { headers: Record<string, string | undefined> }) => (headers = response.headers));
    const onAbort = () => download.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    const chunks: Buffer[] = [];
    try {
      // The SDK checks the bytes against the object's CRC32C before the stream ends: a cut download is an error.
      for await (const chunk of download) chunks.push(chunk as Buffer);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const metadata: Record<string, string> = {};
    for (const [header, value] of Object.entries(headers)) {
      if (header.startsWith(META_HEADER) && value !== undefined) metadata[header.slice(META_HEADER.length)] = value;
    }
    if (metadata[LENGTH_METADATA] !== undefined) return { body, metadata };
    const generation = headers['x-goog-generation'];
    try {
      const [resource] = await untilAborted(this.bucket.file(name, { generation }).getMetadata(), signal);
      return { body, metadata: Object.fromEntries(Object.entries(resource.metadata ?? {}).map(([k, v]) => [k, v === null ? undefined : String(v)])) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One multipart request (`resumable: false`): GCS creates the object only once all of it has arrived. */
  async write(name: string, body: string, metadata: Record<string, string>, signal: AbortSignal): Promise<void> {
    const saved = this.bucket.file(name).save(Buffer.from(body, 'utf8'), {
      resumable: false,
      metadata: { contentType: 'text/plain; charset=utf-8', metadata },
    });
    await untilAborted(saved, signal);
  }

  async remove(name: string, signal: AbortSignal): Promise<void> {
    await untilAborted(this.bucket.file(name).delete({ ignoreNotFound: true }), signal);
  }

  async list(prefix: string, token: string | undefined, signal: AbortSignal): Promise<{ names: string[]; token?: string | undefined }> {
    const [files, next] = await untilAborted(this.bucket.getFiles({ prefix, pageToken: token, maxResults: 1000, autoPaginate: false }), signal);
    const nextToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
    return { names: files.map((file) => file.name), token: nextToken === '' ? undefined : nextToken };
  }

  /** Lists at most one object of the cache's folder: the bucket exists and the credentials may read it. */
  async ping(signal: AbortSignal): Promise<boolean> {
    await untilAborted(this.bucket.getFiles({ prefix: this.prefix ? `${this.prefix}/` : '', maxResults: 1, autoPaginate: false }), signal);
    return true;
  }
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 404;
}
