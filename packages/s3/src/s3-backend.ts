import { ObjectStoreBackend } from '@llmcache/core';
import { connect, type S3BackendOptions, type S3ClientLike } from './options';
import { S3Store } from './s3-store';

/**
 * Entries as objects in one S3 bucket, one `PutObject` of the whole body each, with their expiry in the
 * object's metadata (see `ObjectStoreBackend`). No memory tier: `new Cache({ type: 's3' })` adds one.
 */
export class S3Backend extends ObjectStoreBackend {
  /** The `S3Client` in use: ours (destroyed on close) or the one passed in (never destroyed by us). */
  readonly client: S3ClientLike;
  readonly bucket: string;

  /** Throws a `CacheConfigError` naming the option for a missing bucket, a bad `s3Path` or endpoint, or half a key pair. */
  constructor(options: S3BackendOptions) {
    const { client, bucket, owned } = connect(options);
    super({
      store: new S3Store(client, bucket, owned),
      pkg: 's3',
      prefix: options.s3Path,
      prefixOption: 's3Path',
      requestTimeoutMs: options.requestTimeoutMs,
      batchConcurrency: options.batchConcurrency,
    });
    this.client = client;
    this.bucket = bucket;
  }
}
