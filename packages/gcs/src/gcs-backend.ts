import { Storage, type Bucket } from '@google-cloud/storage';
import { ObjectStoreBackend, validateObjectPrefix } from '@llmcache/core';
import { GcsStore } from './gcs-store';
import { resolveGcsTarget, type GcsBackendOptions, type GcsTarget } from './options';

/**
 * Entries as objects `gcsPath/namespace/hash` in a Cloud Storage bucket. Each write is one request that
 * creates the whole object or nothing; each read is one download. Expiry travels as object metadata and
 * is enforced on read (see `ObjectStoreBackend`); a bucket lifecycle rule can sweep what nobody reads.
 */
export class GcsBackend extends ObjectStoreBackend {
  /** Throws a `CacheConfigError` naming the option (or environment variable) that is missing or wrong. */
  constructor(options: GcsBackendOptions = {}) {
    const bucket = openBucket(resolveGcsTarget(options));
    const prefix = validateObjectPrefix('gcs', 'gcsPath', options.gcsPath);
    super({
      store: new GcsStore(bucket, prefix),
      pkg: 'gcs',
      prefix,
      prefixOption: 'gcsPath',
      requestTimeoutMs: options.requestTimeoutMs,
      batchConcurrency: options.batchConcurrency,
    });
  }
}

function openBucket(target: GcsTarget): Bucket {
  if ('bucket' in target) return target.bucket as Bucket;
  if ('storage' in target) return (target.storage as Storage).bucket(target.bucketName);
  const storage = new Storage({
    apiEndpoint: target.apiEndpoint,
    keyFilename: target.keyFilename,
    // Emulators want no credentials; a private endpoint given with a key file gets them.
    useAuthWithCustomEndpoint: target.keyFilename !== undefined,
    // A failed request is a miss; retrying it behind a caller that has moved on only adds load.
    retryOptions: { autoRetry: false },
  });
  // With STORAGE_EMULATOR_HOST set, the SDK sends JSON API calls to that host's root but uploads under
  // /upload/storage/v1: keep every call under the one API root Google and the emulators serve.
  storage.baseUrl = `${storage.apiEndpoint}/storage/v1`;
  return storage.bucket(target.bucketName);
}
