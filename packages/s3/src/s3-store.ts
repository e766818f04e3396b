import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore, StoredObject } from '@llmcache/core';

/** The object-store calls on one bucket; `ObjectStoreBackend` adds names, expiry, integrity checks and timeouts. */
export class S3Store implements ObjectStore {
  readonly name = 's3';

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    /** We made the client, so we destroy it on close. */
    private readonly owned: boolean,
  ) {}

  async read(name: string, signal: AbortSignal): Promise<StoredObject | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal: signal });
      if (!res.Body) throw new Error(`GetObject of "${name}" answered without a body`);
      return { body: await res.Body.transformToString('utf-8'), metadata: res.Metadata ?? {} };
    } catch (err) {
      // By name, not class: a client passed in may come from another copy of the SDK. A missing bucket
      // (NoSuchBucket, also a 404) stays an error, so that it is reported.
      if ((err as Error | null)?.name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async write(name: string, body: string, metadata: Record<string, string>, signal: AbortSignal): Promise<void> {
    // One Buffer, never a stream: S3 stores the whole body or nothing, and the length is known up front.
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: name,
      Body: Buffer.from(body, 'utf8'),
      ContentType: 'application/json',
      Metadata: metadata,
    });
    await this.client.send(command, { abortSignal: signal });
  }

  async remove(name: string, signal: AbortSignal): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal: signal });
  }

  async list(prefix: string, token: string | undefined, signal: AbortSignal): Promise<{ names: string[]; token?: string | undefined }> {
    const command = new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token });
    const res = await this.client.send(command, { abortSignal: signal });
    const names = (res.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
    return { names, token: res.IsTruncated ? res.NextContinuationToken : undefined };
  }

  /** The bucket exists and the credentials may use it. */
  async ping(signal: AbortSignal): Promise<boolean> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
    return true;
  }

  close(): void {
    if (this.owned) this.client.destroy();
  }
}
