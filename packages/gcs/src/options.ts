import { readFileSync } from 'node:fs';
import { CacheConfigError, type CacheOptions } from '@llmcache/core';
import { describeValue, nonEmptyString, requiredOptionError } from '@llmcache/core/internal';

/**
 * A `Bucket` of `@google-cloud/storage`. Declared by the members we check rather than as the SDK's class,
 * so that our published types compile without @types/node (the SDK's declarations need it).
 */
export interface GcsBucket {
  readonly name: string;
  file(name: string, options?: object): unknown;
}

/** A `Storage` client of `@google-cloud/storage` (declared by shape, as `GcsBucket`). */
export interface GcsStorage {
  bucket(name: string): unknown;
}

export interface GcsBackendOptions {
  /** Bucket holding the cache; required unless `bucket` is given. @default process.env.GCS_BUCKET_NAME */
  gcsBucketName?: string | undefined;
  /**
   * Path of a Google credentials JSON file, usually a service-account key.
   * @default process.env.GCS_PATH_SERVICE_ACCOUNT, else Application Default Credentials
   */
  gcsPathServiceAccount?: string | undefined;
  /** Folder inside the bucket every object goes under, e.g. `llmcache/prod`. @default '' (the bucket's root) */
  gcsPath?: string | undefined;
  /**
   * JSON API root, with its scheme: an emulator (`http://127.0.0.1:4443`) or a private endpoint. Requests
   * to it carry credentials only when `gcsPathServiceAccount` is set, as emulators want none.
   * @default process.env.STORAGE_EMULATOR_HOST, else https://storage.googleapis.com
   */
  gcsApiEndpoint?: string | undefined;
  /** A `Storage` client of your own (its credentials, endpoint and retries); used as is, never closed by us. */
  storage?: GcsStorage | undefined;
  /** A `Bucket` of your own; used as is. Replaces `gcsBucketName` and `storage`. */
  bucket?: GcsBucket | undefined;
  /**
   * Longest wait for one request, in ms; past it the operation fails (a miss, or a write not stored).
   * @default 2000
   */
  requestTimeoutMs?: number | undefined;
  /** Most reads of one batch in flight at once. @default 16 */
  batchConcurrency?: number | undefined;
}

/** The fields of a Google credentials file that we read; `type` is `service_account` for a service-account key. */
export interface CredentialsFile {
  path: string;
  type: string;
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  universe_domain?: string;
}

/** Where the bucket is and how to reach it, once options and the environment are merged and checked. */
export type GcsTarget =
  | { bucket: GcsBucket }
  | { storage: GcsStorage; bucketName: string }
  | { bucketName: string; credentials: CredentialsFile | undefined; apiEndpoint: string | undefined };

/** What the environment says, read as LiteLLM reads it, plus the emulator variable the Google SDKs read. */
export function gcsOptionsFromEnv(env: Record<string, string | undefined> = process.env): GcsBackendOptions {
  const out: GcsBackendOptions = {};
  if (env.GCS_BUCKET_NAME) out.gcsBucketName = env.GCS_BUCKET_NAME;
  if (env.GCS_PATH_SERVICE_ACCOUNT) out.gcsPathServiceAccount = env.GCS_PATH_SERVICE_ACCOUNT;
  if (env.STORAGE_EMULATOR_HOST) out.gcsApiEndpoint = env.STORAGE_EMULATOR_HOST;
  return out;
}

/** Which variable each option falls back to, so that an error about a value from the environment names it. */
const ENV_NAMES = { gcsBucketName: 'GCS_BUCKET_NAME', gcsPathServiceAccount: 'GCS_PATH_SERVICE_ACCOUNT', gcsApiEndpoint: 'STORAGE_EMULATOR_HOST' } as const;

/** Merges options over the environment (an option given wins) and checks everything; throws `CacheConfigError` naming the option. */
export function resolveGcsTarget(options: GcsBackendOptions, env: Record<string, string | undefined> = process.env): GcsTarget {
  if (options.bucket !== undefined) {
    const bucket = options.bucket as Partial<GcsBucket> | null;
    if (typeof bucket?.file !== 'function' || typeof bucket.name !== 'string') {
      throw new CacheConfigError('gcs', 'bucket', 'must be a Bucket of @google-cloud/storage (storage.bucket(name))');
    }
    const clash = (['gcsBucketName', 'storage', 'gcsPathServiceAccount', 'gcsApiEndpoint'] as const).find((name) => options[name] !== undefined);
    if (clash) throw new CacheConfigError('gcs', 'bucket', `give either bucket or ${clash}: a Bucket already has its client and name`);
    return { bucket: options.bucket };
  }
  const fromEnv = gcsOptionsFromEnv(env);
  const pick = <K extends keyof typeof ENV_NAMES>(name: K) =>
    options[name] !== undefined ? { value: options[name], option: name as string } : { value: fromEnv[name], option: ENV_NAMES[name] as string };

  const bucketName = pick('gcsBucketName');
  if (bucketName.value === undefined) throw requiredOptionError('gcs', 'gcsBucketName', 'or set GCS_BUCKET_NAME, or pass bucket');
  checkBucketName(bucketName.option, bucketName.value);

  if (options.storage !== undefined) {
    if (typeof (options.storage as Partial<GcsStorage> | null)?.bucket !== 'function') {
      throw new CacheConfigError('gcs', 'storage', 'must be a Storage of @google-cloud/storage');
    }
    const clash = (['gcsPathServiceAccount', 'gcsApiEndpoint'] as const).find((name) => options[name] !== undefined);
    if (clash) throw new CacheConfigError('gcs', 'storage', `give either storage or ${clash}: the client is already configured`);
    return { storage: options.storage, bucketName: bucketName.value };
  }

  const keyFile = pick('gcsPathServiceAccount');
  const endpoint = pick('gcsApiEndpoint');
  return {
    bucketName: bucketName.value,
    credentials: keyFile.value === undefined ? undefined : readCredentialsFile(keyFile.option, keyFile.value),
    apiEndpoint: endpoint.value === undefined ? undefined : checkEndpoint(endpoint.option, endpoint.value),
  };
}

/** The GCS part of `new Cache({ type: 'gcs', … })`'s options. */
export function gcsOptionsFromCacheOptions(options: CacheOptions): GcsBackendOptions {
  const { gcsBucketName, gcsPathServiceAccount, gcsPath, gcsApiEndpoint, operationTimeoutMs } = options;
  return { gcsBucketName, gcsPathServiceAccount, gcsPath, gcsApiEndpoint, requestTimeoutMs: operationTimeoutMs };
}

/**
 * Google's naming rules: 3-63 characters (up to 222 in dot-separated parts of at most 63), lowercase
 * letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit.
 */
function checkBucketName(option: string, name: unknown): void {
  nonEmptyString('gcs', option, name);
  const text = name as string;
  if (text.includes('/')) {
    throw new CacheConfigError('gcs', option, `must be a bucket name alone, got ${describeValue(text)}; give the folder as gcsPath`);
  }
  const valid = /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(text) && text.length <= 222 && text.split('.').every((part) => part.length <= 63) && text.length >= 3;
  if (!valid || (!text.includes('.') && text.length > 63)) {
    throw new CacheConfigError(
      'gcs',
      option,
      `is not a valid bucket name (3-63 lowercase letters, digits, "-", "_" or ".", starting and ending with a letter or digit), got ${describeValue(text)}`,
    );
  }
}

/** An endpoint without its scheme would be taken as https:// by the SDK, which an emulator does not speak. */
function checkEndpoint(option: string, value: unknown): string {
  nonEmptyString('gcs', option, value);
  let url: URL | undefined;
  try {
    url = new URL(value as string);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.host) {
    throw new CacheConfigError('gcs', option, `must be a URL with its scheme, e.g. http://127.0.0.1:4443, got ${describeValue(value)}`);
  }
  return (value as string).replace(/\/+$/, '');
}

/** Reads the key file now, so that a wrong path fails at start-up rather than as a miss on every call. */
function readCredentialsFile(option: string, path: unknown): CredentialsFile {
  nonEmptyString('gcs', option, path);
  let parsed: Partial<CredentialsFile> | null;
  try {
    parsed = JSON.parse(readFileSync(path as string, 'utf8')) as Partial<CredentialsFile> | null;
  } catch (err) {
    throw new CacheConfigError('gcs', option, `cannot be used as a credentials file: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed?.type !== 'string') {
    throw new CacheConfigError('gcs', option, `${path as string} is not a Google credentials file (no "type" field)`);
  }
  if (parsed.type === 'service_account' && (typeof parsed.client_email !== 'string' || typeof parsed.private_key !== 'string')) {
    throw new CacheConfigError('gcs', option, `${path as string} is a service-account file without client_email and private_key`);
  }
  return { ...parsed, type: parsed.type, path: path as string };
}
