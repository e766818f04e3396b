import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { Cache, CacheConfigError, TieredBackend } from '@llmcache/core';
import { GcsBackend, gcsOptionsFromEnv } from '@llmcache/gcs';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { thrown, withEnv } from '@llmcache/test-suite';
import { startGcsServer, type GcsServer } from './gcs-server';

const BUCKET = 'options';
let server: GcsServer;
let upstream: Upstream;
let dir: string;

beforeAll(async () => {
  [server, upstream] = await Promise.all([startGcsServer({ buckets: [BUCKET] }), startUpstream()]);
  dir = mkdtempSync(join(tmpdir(), 'llmcache-gcs-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([server.close(), upstream.close()]);
});

const NO_GCS_ENV = { GCS_BUCKET_NAME: undefined, GCS_PATH_SERVICE_ACCOUNT: undefined, STORAGE_EMULATOR_HOST: undefined };

function configError(fn: () => unknown): CacheConfigError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(CacheConfigError);
  return err as CacheConfigError;
}

async function roundTrip(cache: Cache, key = `k-${Math.random()}`): Promise<void> {
  expect(await cache.set(key, { answer: 42 })).toBe(true);
  expect((await cache.get(key))?.value).toEqual({ answer: 42 });
  await cache.close();
}

describe("new Cache({ type: 'gcs' })", () => {
  it('puts a memory tier in front by default; memoryTier: false leaves the bucket alone', async () => {
    const tiered = new Cache({ type: 'gcs', gcsBucketName: BUCKET, gcsApiEndpoint: server.url, maxSizeInMemory: 5 });
    expect(tiered.backend).toBeInstanceOf(TieredBackend);
    expect((tiered.backend as TieredBackend).remote).toBeInstanceOf(GcsBackend);
    const plain = new Cache({ type: 'gcs', gcsBucketName: BUCKET, gcsApiEndpoint: server.url, memoryTier: false });
    expect(plain.backend).toBeInstanceOf(GcsBackend);
    expect(await plain.ping()).toBe(true);
    await roundTrip(tiered);
    await roundTrip(plain);
  });

  it('passes operationTimeoutMs on as the per-request timeout', async () => {
    const cache = new Cache({ type: 'gcs', gcsBucketName: BUCKET, gcsApiEndpoint: server.url, memoryTier: false, operationTimeoutMs: 60_000 });
    server.hang = true;
    try {
      // The request is still pending at the default 2 s: only the 60 s given applies.
      const pending = (cache.backend as GcsBackend).get('slow');
      const settled = await Promise.race([
        pending.then(
          () => 'settled',
          () => 'settled',
        ),
        new Promise((r) => setTimeout(() => r('pending'), 2500)),
      ]);
      expect(settled).toBe('pending');
      await cache.close();
      await expect(pending).rejects.toThrow(/closed/);
    } finally {
      server.hang = false;
    }
  });

  it('reads the bucket from GCS_BUCKET_NAME and the endpoint from STORAGE_EMULATOR_HOST, as LiteLLM and the Google SDKs do', async () => {
    await withEnv({ ...NO_GCS_ENV, GCS_BUCKET_NAME: BUCKET, STORAGE_EMULATOR_HOST: server.url }, async () => {
      expect(gcsOptionsFromEnv()).toEqual({ gcsBucketName: BUCKET, gcsApiEndpoint: server.url });
      const before = server.requests.length;
      await roundTrip(new Cache({ type: 'gcs', memoryTier: false }));
      // Uploads and the JSON API calls both go under Google's paths, whatever the SDK does with the variable.
      expect(server.requests.slice(before).map((r) => r.path.split('/').slice(0, 4).join('/'))).toEqual(['/upload/storage/v1', '/storage/v1/b']);
    });
  });

  it('lets options win over the environment', async () => {
    await withEnv({ ...NO_GCS_ENV, GCS_BUCKET_NAME: 'not-this-one', STORAGE_EMULATOR_HOST: 'http://127.0.0.1:1' }, async () => {
      await roundTrip(new Cache({ type: 'gcs', gcsBucketName: BUCKET, gcsApiEndpoint: server.url, memoryTier: false }));
    });
  });

  it('sends the credentials of gcsPathServiceAccount (or GCS_PATH_SERVICE_ACCOUNT) with each request', async () => {
    // Workforce-identity user credentials (any credentials file works, not only service-account keys) whose
    // token URL is the test upstream: google-auth-library trades the refresh token there for the bearer
    // token it then sends to the bucket.
    const file = join(dir, 'credentials.json');
    writeFileSync(
      file,
      JSON.stringify({
        type: 'external_account_authorized_user',
        audience: '//iam.googleapis.com/locations/global/workforcePools/pool/providers/test',
        client_id: 'client-id',
        client_secret: 'client-secret',
        refresh_token: 'refresh-token',
        token_url: upstream.tokenUrl,
      }),
    );
    // google-auth-library 11 loads such files from a path only with a deprecation notice: its own policy.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      for (const cache of [
        () => new Cache({ type: 'gcs', gcsBucketName: BUCKET, gcsApiEndpoint: server.url, gcsPathServiceAccount: file, memoryTier: false }),
        () =>
          withEnv({ GCS_PATH_SERVICE_ACCOUNT: file }, () => new Cache({ type: 'gcs', gcsBucketName: BUCKET, gcsApiEndpoint: server.url, memoryTier: false })),
      ]) {
        const before = server.requests.length;
        await roundTrip(cache());
        const sent = server.requests.slice(before);
        expect(sent).toHaveLength(2);
        for (const request of sent) expect(request.headers.authorization).toMatch(/^Bearer upstream-token-\d+$/);
      }
      expect(warn.mock.calls.map(([message]) => String(message))).toEqual(Array(2).fill(expect.stringMatching(/keyFilename.*deprecated/)));
    } finally {
      warn.mockRestore();
    }
    // An emulator endpoint without a key file gets no credentials at all.
    const before = server.requests.length;
    await roundTrip(new Cache({ type: 'gcs', gcsBucketName: BUCKET, gcsApiEndpoint: server.url, memoryTier: false }));
    for (const request of server.requests.slice(before)) expect(request.headers.authorization).toBeUndefined();
  });

  it('signs requests with a service-account key, without the deprecation notice a key file path would bring', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const file = join(dir, 'service-account.json');
    // Outside googleapis.com's universe the library signs its own JWT instead of trading it for a token: checkable here.
    writeFileSync(
      file,
      JSON.stringify({
        type: 'service_account',
        project_id: 'p',
        private_key_id: 'key-1',
        client_email: 'cache@p.iam.gserviceaccount.com',
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        universe_domain: 'example.test',
      }),
    );
    const warn = jest.spyOn(console, 'warn');
    try {
      const before = server.requests.length;
      await roundTrip(new Cache({ type: 'gcs', gcsBucketName: BUCKET, gcsApiEndpoint: server.url, gcsPathServiceAccount: file, memoryTier: false }));
      expect(warn).not.toHaveBeenCalled();
      for (const request of server.requests.slice(before)) {
        const [header, claims, signature] = String(request.headers.authorization)
          .replace(/^Bearer /, '')
          .split('.');
        expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toMatchObject({
          iss: 'cache@p.iam.gserviceaccount.com',
          scope: 'https://www.googleapis.com/auth/devstorage.read_write',
        });
        expect(verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature!, 'base64url'))).toBe(true);
      }
    } finally {
      warn.mockRestore();
    }
  });

  it('uses a Storage or Bucket of your own, and leaves it open on close', async () => {
    const storage = new Storage({ apiEndpoint: server.url });
    const viaStorage = new Cache({ backend: new GcsBackend({ storage, gcsBucketName: BUCKET, gcsPath: 'mine' }) });
    await roundTrip(viaStorage, 'shared-key');
    const viaBucket = new GcsBackend({ bucket: storage.bucket(BUCKET), gcsPath: 'mine' });
    expect(await viaBucket.get('shared-key')).toBeDefined();
    await viaBucket.close();
    // Still usable by its owner.
    expect((await storage.bucket(BUCKET).file('mine/shared-key').exists())[0]).toBe(true);
  });
});

describe('bad GCS options', () => {
  it('requires a bucket, naming the option and the variable', () => {
    withEnv(NO_GCS_ENV, () => {
      const err = configError(() => new Cache({ type: 'gcs' }));
      expect(err.option).toBe('gcsBucketName');
      expect(err.message).toMatch(/^\[llmcache\]\[gcs\] gcsBucketName: is required \(or set GCS_BUCKET_NAME, or pass bucket\)$/);
    });
  });

  it.each([
    [{ gcsBucketName: 'my-bucket/some/folder' }, 'gcsBucketName', /give the folder as gcsPath/],
    [{ gcsBucketName: 'UpperCase' }, 'gcsBucketName', /not a valid bucket name/],
    [{ gcsBucketName: 'ab' }, 'gcsBucketName', /not a valid bucket name/],
    [{ gcsBucketName: 'x'.repeat(64) }, 'gcsBucketName', /not a valid bucket name/],
    [{ gcsApiEndpoint: '127.0.0.1:4443' }, 'gcsApiEndpoint', /must be a URL with its scheme, e.g. http:\/\/127.0.0.1:4443, got "127.0.0.1:4443"/],
    [{ gcsApiEndpoint: 'ftp://host' }, 'gcsApiEndpoint', /with its scheme/],
    [{ gcsPath: '../escape' }, 'gcsPath', /"\.\."/],
    [{ gcsPath: '/absolute' }, 'gcsPath', /relative/],
    [{ gcsPathServiceAccount: '/no/such/key.json' }, 'gcsPathServiceAccount', /cannot be used as a credentials file: ENOENT.*\/no\/such\/key\.json/],
  ])('%j is a CacheConfigError naming %s', (options, option, message) => {
    withEnv(NO_GCS_ENV, () => {
      const err = configError(() => new Cache({ type: 'gcs', gcsBucketName: BUCKET, ...options }));
      expect(err.option).toBe(option);
      expect(err.message).toMatch(/^\[llmcache\]\[gcs\] /);
      expect(err.detail).toMatch(message);
    });
  });

  it('names the environment variable a bad value came from', () => {
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, 'not json');
    const cases: [Record<string, string>, string][] = [
      [{ STORAGE_EMULATOR_HOST: 'localhost:4443' }, 'STORAGE_EMULATOR_HOST'],
      [{ GCS_BUCKET_NAME: 'bucket/folder' }, 'GCS_BUCKET_NAME'],
      [{ GCS_PATH_SERVICE_ACCOUNT: notJson }, 'GCS_PATH_SERVICE_ACCOUNT'],
    ];
    for (const [vars, option] of cases) {
      withEnv({ ...NO_GCS_ENV, GCS_BUCKET_NAME: BUCKET, ...vars }, () => {
        const err = configError(() => new Cache({ type: 'gcs' }));
        expect(err.option).toBe(option);
      });
    }
    const unreadable = withEnv({ ...NO_GCS_ENV, GCS_PATH_SERVICE_ACCOUNT: notJson }, () => configError(() => new GcsBackend({ gcsBucketName: BUCKET })));
    expect(unreadable.cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses a key file that is JSON but no credentials, or a service-account file without its key', async () => {
    const file = join(dir, 'plain.json');
    writeFileSync(file, '{"hello":"world"}');
    expect(configError(() => new GcsBackend({ gcsBucketName: BUCKET, gcsPathServiceAccount: file })).detail).toMatch(/not a Google credentials file/);
    writeFileSync(file, '{"type":"service_account","client_email":"a@b"}');
    expect(configError(() => new GcsBackend({ gcsBucketName: BUCKET, gcsPathServiceAccount: file })).detail).toMatch(/without client_email and private_key/);
  });

  it('refuses what is not a Bucket or Storage, and a client given with options it would ignore', () => {
    const storage = new Storage({ apiEndpoint: server.url });
    expect(configError(() => new GcsBackend({ bucket: {} as never })).option).toBe('bucket');
    expect(configError(() => new GcsBackend({ storage: {} as never, gcsBucketName: BUCKET })).option).toBe('storage');
    expect(configError(() => new GcsBackend({ bucket: storage.bucket(BUCKET), gcsBucketName: BUCKET })).detail).toMatch(/either bucket or gcsBucketName/);
    expect(configError(() => new GcsBackend({ storage, gcsBucketName: BUCKET, gcsApiEndpoint: server.url })).detail).toMatch(
      /either storage or gcsApiEndpoint/,
    );
  });

  it("has core check the gcs* options' types at new Cache()", () => {
    for (const [option, value] of [
      ['gcsBucketName', 42],
      ['gcsPathServiceAccount', ''],
      ['gcsPath', 7],
      ['gcsApiEndpoint', ''],
    ] as const) {
      const err = configError(() => new Cache({ type: 'gcs', [option]: value }));
      expect(err.option).toBe(option);
      expect(err.message).toMatch(/^\[llmcache\]\[core\] /);
    }
    expect(() => new Cache({ type: 'gcs', gcs_bucket_name: BUCKET } as never)).toThrow(/did you mean gcsBucketName/);
  });
});
