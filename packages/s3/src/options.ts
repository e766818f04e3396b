import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { CacheConfigError, type CacheOptions } from '@llmcache/core';
import { describeValue, nonEmptyString, requireOption } from '@llmcache/core/internal';

/**
 * An `S3Client` from `@aws-sdk/client-s3`. Declared by the members we use, not as the SDK's class, so
 * that our published types compile without @types/node (the SDK's declarations need it).
 */
export interface S3ClientLike {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy(): void;
}

/** Where the bucket is and who we are: the `s3*` options of `new Cache({ type: 's3' })`, or a client of your own. */
export interface S3ConnectionOptions {
  /** Bucket holding the entries; it must exist. Required. */
  s3BucketName: string;
  /**
   * Region of the bucket.
   * @default process.env.AWS_REGION, else AWS_DEFAULT_REGION, else the AWS profile's region; 'us-east-1' when an endpoint is set and none is found
   */
  s3RegionName?: string | undefined;
  /** Access key id; give it with `s3AwsSecretAccessKey`. @default the AWS SDK's credential chain (environment, profile, SSO, container or instance role) */
  s3AwsAccessKeyId?: string | undefined;
  /** Secret access key; give it with `s3AwsAccessKeyId`. @default the AWS SDK's credential chain */
  s3AwsSecretAccessKey?: string | undefined;
  /** Session token of temporary keys, with the two above. @default the AWS SDK's credential chain */
  s3AwsSessionToken?: string | undefined;
  /** An S3-compatible server (MinIO, Cloudflare R2, s3rver): `http(s)://host[:port]`. @default process.env.AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS */
  s3EndpointUrl?: string | undefined;
  /** Address the bucket in the path (`endpoint/bucket/key`) instead of the host name (`bucket.endpoint/key`). @default true when an endpoint is set, else false */
  s3ForcePathStyle?: boolean | undefined;
  /**
   * An `S3Client` of your own, used as is (its region, credentials and endpoint) and never destroyed by us.
   * Give it instead of the region, key and endpoint options.
   */
  client?: S3ClientLike | undefined;
}

export interface S3BackendOptions extends S3ConnectionOptions {
  /** Folder inside the bucket every object goes under (`s3Path/namespace/hash`); empty for the bucket's root. @default '' */
  s3Path?: string | undefined;
  /**
   * Longest wait for one S3 request, in ms, retries included; the request is then aborted and the read
   * is a miss (or the write is dropped), reported by `Cache`.
   * @default 2000
   */
  requestTimeoutMs?: number | undefined;
  /**
   * Most reads of one batch (an embedding call's inputs) in flight at once.
   * @default 16
   */
  batchConcurrency?: number | undefined;
}

/** The options of `new Cache({ type: 's3', … })`, by this backend's names: `operationTimeoutMs` bounds each request. */
export function s3OptionsFromCacheOptions(options: CacheOptions): S3BackendOptions {
  const { s3BucketName, s3RegionName, s3AwsAccessKeyId, s3AwsSecretAccessKey, s3AwsSessionToken, s3Path, s3EndpointUrl, s3ForcePathStyle } = options;
  return {
    s3BucketName: s3BucketName!, // a missing one is S3Backend's required-option error
    s3RegionName,
    s3AwsAccessKeyId,
    s3AwsSecretAccessKey,
    s3AwsSessionToken,
    s3Path,
    s3EndpointUrl,
    s3ForcePathStyle,
    requestTimeoutMs: options.operationTimeoutMs,
  };
}

/** A client plus whether we made it (and so destroy it on close). */
export interface S3Connection {
  client: S3Client;
  bucket: string;
  owned: boolean;
}

const CLIENT_SETTINGS = ['s3RegionName', 's3AwsAccessKeyId', 's3AwsSecretAccessKey', 's3AwsSessionToken', 's3EndpointUrl', 's3ForcePathStyle'] as const;

/** Builds the client the options describe (the environment filling in what they leave out), or takes the one given. */
export function connect(options: S3ConnectionOptions, env: Record<string, string | undefined> = process.env): S3Connection {
  const bucket = nonEmptyString('s3', 's3BucketName', requireOption('s3', 's3BucketName', options.s3BucketName));
  if (options.client !== undefined) {
    if (typeof (options.client as Partial<S3ClientLike> | null)?.send !== 'function') {
      throw new CacheConfigError('s3', 'client', `must be an S3Client from @aws-sdk/client-s3, got ${describeValue(options.client)}`);
    }
    const clash = CLIENT_SETTINGS.find((name) => options[name] !== undefined);
    if (clash) throw new CacheConfigError('s3', clash, 'give it to your own S3Client: with `client`, the client is used as is');
    return { client: options.client as S3Client, bucket, owned: false };
  }
  return { client: new S3Client(clientConfig(options, env)), bucket, owned: true };
}

function clientConfig(options: S3ConnectionOptions, env: Record<string, string | undefined>): S3ClientConfig {
  for (const name of CLIENT_SETTINGS) {
    if (name !== 's3ForcePathStyle' && options[name] !== undefined) nonEmptyString('s3', name, options[name]);
  }
  if (options.s3ForcePathStyle !== undefined && typeof options.s3ForcePathStyle !== 'boolean') {
    throw new CacheConfigError('s3', 's3ForcePathStyle', `must be true or false, got ${describeValue(options.s3ForcePathStyle)}`);
  }
  // Read here rather than left to the SDK, so that path-style addressing follows an endpoint from the environment too.
  const endpoint =
    endpointFrom(options.s3EndpointUrl, 's3EndpointUrl') ??
    endpointFrom(env.AWS_ENDPOINT_URL_S3, 'AWS_ENDPOINT_URL_S3') ??
    endpointFrom(env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL');
  const config: S3ClientConfig = {
    // AWS_DEFAULT_REGION is what boto3 (so LiteLLM) reads; the JavaScript SDK reads only AWS_REGION and the profile.
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- a variable set to '' counts as unset
    region: options.s3RegionName ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint ? 'us-east-1' : undefined)),
    forcePathStyle: options.s3ForcePathStyle ?? endpoint !== undefined,
  };
  if (endpoint) config.endpoint = endpoint;
  const { s3AwsAccessKeyId: accessKeyId, s3AwsSecretAccessKey: secretAccessKey, s3AwsSessionToken: sessionToken } = options;
  if (accessKeyId !== undefined || secretAccessKey !== undefined || sessionToken !== undefined) {
    if (accessKeyId === undefined) throw new CacheConfigError('s3', 's3AwsAccessKeyId', 'is required with s3AwsSecretAccessKey or s3AwsSessionToken');
    if (secretAccessKey === undefined) throw new CacheConfigError('s3', 's3AwsSecretAccessKey', 'is required with s3AwsAccessKeyId');
    config.credentials = sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
  }
  return config;
}

function endpointFrom(value: string | undefined, option: string): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw new CacheConfigError('s3', option, `must be a URL such as http://127.0.0.1:9000, got ${describeValue(value)}`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CacheConfigError('s3', option, `must start with http:// or https://, got ${describeValue(value)}`);
  }
  return value;
}
