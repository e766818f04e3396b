import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TieredBackend } from '@llmcache/core';
import { GcsBackend } from '@llmcache/gcs';
import { Router } from '@llmcache/router';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { startGcsServer, type GcsServer } from './gcs-server';

// LiteLLM's gcs cache_params (gcs_bucket_name, gcs_path_service_account, gcs_path) in a config.yaml load
// unchanged; the bucket is this package's test server, named by STORAGE_EMULATOR_HOST as for any emulator.

let server: GcsServer;
let upstream: Upstream;
let dir: string;
let savedEmulatorHost: string | undefined;

beforeAll(async () => {
  [server, upstream] = await Promise.all([startGcsServer({ buckets: ['litellm-cache'] }), startUpstream()]);
  dir = mkdtempSync(join(tmpdir(), 'llmcache-gcs-config-'));
  savedEmulatorHost = process.env.STORAGE_EMULATOR_HOST;
  process.env.STORAGE_EMULATOR_HOST = server.url;
});
afterAll(async () => {
  if (savedEmulatorHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = savedEmulatorHost;
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([server.close(), upstream.close()]);
});

it("loads LiteLLM's gcs cache_params through Router.fromConfig, reports what it ignores, and serves a hit from the bucket", async () => {
  const keyFile = join(dir, 'service-account.json');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // Outside googleapis.com's universe the library signs its own JWT rather than trading it for a token at Google.
  writeFileSync(
    keyFile,
    JSON.stringify({
      type: 'service_account',
      client_email: 'litellm@p.iam.gserviceaccount.com',
      private_key_id: 'k1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      universe_domain: 'example.test',
    }),
  );
  const config = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: os.environ/UPSTREAM
      api_key: sk-test

litellm_settings:
  cache: true
  cache_params:
    type: gcs
    gcs_bucket_name: litellm-cache
    gcs_path_service_account: os.environ/GCS_KEY_FILE
    gcs_path: llm/responses/
    ttl: 600
    default_in_memory_ttl: 30
`;
  const router = Router.fromConfig(config, { UPSTREAM: upstream.openaiBase, GCS_KEY_FILE: keyFile });
  try {
    expect(router.ignoredConfig).toEqual([{ path: 'litellm_settings.cache_params.default_in_memory_ttl', reason: 'not a Cache option of @llmcache/core' }]);
    const backend = router.cache!.backend as TieredBackend;
    expect(backend).toBeInstanceOf(TieredBackend);
    expect(backend.remote).toBeInstanceOf(GcsBackend);

    const ask = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hello from config.yaml' }] };
    const first = await router.completion(ask);
    expect(first._hiddenParams.cacheHit).toBe(false);
    const key = first._hiddenParams.cacheKey!;
    const name = (backend.remote as GcsBackend).objectName(key);
    expect(name.startsWith('llm/responses/')).toBe(true);
    expect(server.object('litellm-cache', name)).toBeDefined();
    // The bucket, not this process's memory tier, serves the second call.
    await backend.memory.delete(key);
    const second = await router.completion(ask);
    expect(second._hiddenParams.cacheHit).toBe(true);
    expect(second.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(upstream.callCount({ model: 'gpt-4o' })).toBe(1);
    for (const request of server.requests) {
      const claims = String(request.headers.authorization)
        .replace(/^Bearer /, '')
        .split('.')[1]!;
      expect(JSON.parse(Buffer.from(claims, 'base64url').toString())).toMatchObject({ iss: 'litellm@p.iam.gserviceaccount.com' });
    }
  } finally {
    await router.close();
  }
});
