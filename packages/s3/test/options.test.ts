import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { Cache, CacheConfigError, TieredBackend } from '@llmcache/core';
import { S3Backend, type S3BackendOptions } from '@llmcache/s3';
import { exitOf, nodeProcess, thrown, withEnv } from '@llmcache/test-suite';
import { useS3rver } from './servers';

const env = useS3rver();

/** The CacheConfigError `fn` throws; fails the test when it throws nothing or something else. */
function configError(fn: () => unknown, option: string): CacheConfigError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(CacheConfigError);
  expect((err as CacheConfigError).option).toBe(option);
  return err as CacheConfigError;
}

const clientOf = (backend: S3Backend) => backend.client as S3Client;

describe("new Cache({ type: 's3' })", () => {
  it('puts a memory tier in front of the bucket; memoryTier: false leaves it out', async () => {
    const tiered = new Cache({ type: 's3', ...env.server.options(), s3Path: 'tier' });
    expect(tiered.backend).toBeInstanceOf(TieredBackend);
    expect((tiered.backend as TieredBackend).remote).toBeInstanceOf(S3Backend);
    const plain = new Cache({ type: 's3', ...env.server.options(), s3Path: 'tier', memoryTier: false });
    expect(plain.backend).toBeInstanceOf(S3Backend);
    expect(await tiered.ping()).toBe(true);
    expect(await plain.ping()).toBe(true);
    await tiered.set('shared', { answer: 1 });
    expect((await plain.get('shared'))?.value).toEqual({ answer: 1 });
    await Promise.all([tiered.close(), plain.close()]);
  });

  it('rejects a missing bucket, a bad folder and mistyped S3 options, naming the option', () => {
    const missing = configError(() => new Cache({ type: 's3' }), 's3BucketName');
    expect(missing.message).toMatch(/^\[llmcache\]\[s3\] s3BucketName: is required/);
    configError(() => new Cache({ type: 's3', s3BucketName: 'b', s3Path: '../up' }), 's3Path');
    configError(() => new Cache({ type: 's3', s3BucketName: 'b', s3ForcePathStyle: 'yes' as never }), 's3ForcePathStyle');
    configError(() => new Cache({ type: 's3', s3BucketName: 'b', s3EndpointUrl: 'localhost:9000' }), 's3EndpointUrl');
    configError(() => new Cache({ type: 's3', s3BucketName: 'b', s3EndpointUrl: 'ftp://127.0.0.1' }), 's3EndpointUrl');
    configError(() => new Cache({ type: 's3', s3BucketName: 'b', s3AwsAccessKeyId: 'AKIA' }), 's3AwsSecretAccessKey');
    configError(() => new Cache({ type: 's3', s3BucketName: 'b', s3AwsSecretAccessKey: 'secret' }), 's3AwsAccessKeyId');
    configError(() => new Cache({ type: 's3', s3BucketName: 'b', s3AwsSessionToken: 'token' }), 's3AwsAccessKeyId');
  });
});

describe('new S3Backend()', () => {
  it('checks what plain JavaScript callers may pass', () => {
    configError(() => new S3Backend({} as S3BackendOptions), 's3BucketName');
    configError(() => new S3Backend({ s3BucketName: 3 } as never), 's3BucketName');
    configError(() => new S3Backend({ s3BucketName: 'b', s3RegionName: '' }), 's3RegionName');
    configError(() => new S3Backend({ s3BucketName: 'b', s3ForcePathStyle: 1 as never }), 's3ForcePathStyle');
    configError(() => new S3Backend({ s3BucketName: 'b', requestTimeoutMs: -1 }), 'requestTimeoutMs');
    configError(() => new S3Backend({ s3BucketName: 'b', client: {} as never }), 'client');
  });

  it('uses an S3Client passed in as is, refuses settings meant for it, and never destroys it', async () => {
    const client = env.raw;
    configError(() => new S3Backend({ s3BucketName: env.server.buckets[0]!, client, s3RegionName: 'eu-west-1' }), 's3RegionName');
    const backend = new S3Backend({ s3BucketName: env.server.buckets[0]!, client, s3Path: 'own-client' });
    expect(backend.client).toBe(client);
    await backend.set('k', 'v', null);
    expect(await backend.get('k')).toBe('v');
    const destroy = jest.spyOn(client, 'destroy');
    await backend.close();
    expect(destroy).not.toHaveBeenCalled();
    destroy.mockRestore();
    const { Buckets } = await client.send(new ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toContain(env.server.buckets[0]);
  });

  it('destroys the client it made on close', async () => {
    const backend = new S3Backend({ ...env.server.options(), s3Path: 'own' });
    await backend.set('k', 'v', null);
    const handler = clientOf(backend).config.requestHandler as { destroy(): void };
    const destroy = jest.spyOn(handler, 'destroy');
    await backend.close();
    expect(destroy).toHaveBeenCalled();
  });

  it('addresses the bucket in the path when an endpoint is set, in the host name otherwise, unless told', async () => {
    const withEndpoint = new S3Backend({ ...env.server.options() });
    const toAws = new S3Backend({ s3BucketName: 'b', s3RegionName: 'eu-west-1' });
    const overridden = new S3Backend({ ...env.server.options(), s3ForcePathStyle: false });
    expect(clientOf(withEndpoint).config.forcePathStyle).toBe(true);
    expect(clientOf(toAws).config.forcePathStyle).toBe(false);
    expect(clientOf(overridden).config.forcePathStyle).toBe(false);
    await Promise.all([withEndpoint.close(), toAws.close(), overridden.close()]);
  });

  it('signs with the session token given with the keys', async () => {
    const backend = new S3Backend({ ...env.server.options(), s3AwsSessionToken: 'session-token' });
    expect(await clientOf(backend).config.credentials()).toMatchObject({ accessKeyId: 'S3RVER', sessionToken: 'session-token' });
    await backend.close();
  });

  it("takes the region from AWS_REGION, else boto3's AWS_DEFAULT_REGION, else us-east-1 for an endpoint", async () => {
    const regionOf = (vars: Record<string, string | undefined>, options: Partial<S3BackendOptions> = {}) =>
      withEnv(vars, () => {
        const backend = new S3Backend({ s3BucketName: 'b', s3EndpointUrl: env.server.endpoint, ...options });
        return clientOf(backend)
          .config.region()
          .finally(() => backend.close());
      });
    expect(await regionOf({ AWS_REGION: 'eu-north-1', AWS_DEFAULT_REGION: 'eu-west-3' })).toBe('eu-north-1');
    expect(await regionOf({ AWS_REGION: undefined, AWS_DEFAULT_REGION: 'eu-west-3' })).toBe('eu-west-3');
    expect(await regionOf({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined })).toBe('us-east-1');
    expect(await regionOf({ AWS_REGION: 'eu-north-1' }, { s3RegionName: 'ap-south-1' })).toBe('ap-south-1');
  });

  it('names the environment variable that holds a bad endpoint', () => {
    withEnv({ AWS_ENDPOINT_URL_S3: 'not a url' }, () => configError(() => new S3Backend({ s3BucketName: 'b' }), 'AWS_ENDPOINT_URL_S3'));
  });
});

describe("the AWS SDK's default credential chain", () => {
  // In a process of its own, so that the SDK reads a clean environment: no keys in the options at all.
  const script = (bucket: string) => `
    const { Cache } = require('@llmcache/core');
    (async () => {
      const cache = new Cache({ type: 's3', s3BucketName: ${JSON.stringify(bucket)}, s3Path: 'chain', memoryTier: false });
      const errors = [];
      cache.on('error', (err) => errors.push(err.cause?.name ?? err.message));
      const written = await cache.set('from-env', 'found through the environment');
      const read = (await cache.get('from-env'))?.value ?? null;
      await cache.close();
      console.log(JSON.stringify({ written, read, errors }));
    })();`;
  const run = async (vars: Record<string, string>) => {
    const exit = await exitOf(nodeProcess(script(env.server.buckets[0]!), { AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_PROFILE: '', ...vars }));
    expect(exit.code).toBe(0);
    return JSON.parse(exit.stdout.trim().split('\n').pop()!) as { written: boolean; read: string | null; errors: string[] };
  };

  it('finds keys and the endpoint in the environment when the options give none', async () => {
    const outcome = await run({ AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_ENDPOINT_URL_S3: env.server.endpoint });
    expect(outcome).toEqual({ written: true, read: 'found through the environment', errors: [] });
  }, 30_000);

  it('really sends them: an unknown key id in the environment is refused by the server, and reported', async () => {
    const outcome = await run({ AWS_ACCESS_KEY_ID: 'NOT-S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_ENDPOINT_URL_S3: env.server.endpoint });
    expect(outcome.written).toBe(false);
    expect(outcome.read).toBeNull();
    expect(outcome.errors).toEqual(['InvalidAccessKeyId', 'InvalidAccessKeyId']);
  }, 30_000);
});
