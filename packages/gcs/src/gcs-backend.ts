import { Storage, type Bucket } from '@google-cloud/storage';
import { JWT } from 'google-auth-library';
import { ObjectStoreBackend } from '@llmcache/core';
import { validateObjectPrefix } from '@llmcache/core/internal';
import { GcsStore } from './gcs-store';
import { resolveGcsTarget, type CredentialsFile, type GcsBackendOptions, type GcsTarget } from './options';

/**
 * Entries as objects `gcsPath/namespace/hash` in a Cloud Storage bucket. Each write is one request that
 * creates the whole object or nothing; each read is one download. Expiry travels as object metadata and
 * is enforced on read (see `ObjectStoreBackend`); a bucket lifecycle rule can sweep what nobody reads.
 */
export class GcsBackend extends ObjectStoreBackend {
  /** Throws a `CacheConfigError` naming the option (or environment variable) that is missing or wrong. */
  constructor(options: GcsBackendOptions = {}) {
    const prefix = validateObjectPrefix('gcs', 'gcsPath', options.gcsPath);
    const bucket = openBucket(resolveGcsTarget(options));
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

/** Enough to read, write, delete and list objects. */
const STORAGE_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';

function openBucket(target: GcsTarget): Bucket {
  if ('bucket' in target) return target.bucket as Bucket;
  if ('storage' in target) return (target.storage as Storage).bucket(target.bucketName);
  const { credentials } = target;
  const storage = new Storage({
    apiEndpoint: target.apiEndpoint,
    // A service-account key becomes a JWT client here, as google-auth-library asks; other credential
    // files (workload or workforce identity) it loads itself from the path.
    ...(credentials?.type === 'service_account'
      ? { authClient: serviceAccountClient(credentials), universeDomain: credentials.universe_domain }
      : { keyFilename: credentials?.path }),
    // Emulators want no credentials; a private endpoint given with a key file gets them.
    useAuthWithCustomEndpoint: credentials !== undefined,
    // A failed request is a miss; retrying it behind a caller that has moved on only adds load.
    retryOptions: { autoRetry: false },
  });
  // With STORAGE_EMULATOR_HOST set, the SDK sends JSON API calls to that host's root but uploads under
  // /upload/storage/v1: keep every call under the one API root Google and the emulators serve.
  storage.baseUrl = `${storage.apiEndpoint}/storage/v1`;
  return storage.bucket(target.bucketName);
}

function serviceAccountClient(key: CredentialsFile): JWT {
  return new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [STORAGE_SCOPE], universeDomain: key.universe_domain });
}
