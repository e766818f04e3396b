import { exitOf, nodeProcess } from '@llmcache/test-suite';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverProcess } from './servers';

let server: S3rverProcess;
let upstream: Upstream;

beforeAll(async () => {
  [server, upstream] = await Promise.all([startS3rver(), startUpstream()]);
});
afterAll(async () => {
  await upstream?.close();
  await server?.close();
});

interface Outcome {
  content: string;
  cacheHit: boolean;
  ignored: { path: string; reason: string }[];
}

/** Runs `script` (which ends by printing one JSON line) in a Node process of its own and returns what it printed. */
async function inProcess(script: string): Promise<Outcome> {
  const exit = await exitOf(nodeProcess(script));
  if (exit.code !== 0) throw new Error(`router process exited with ${exit.code}: ${exit.stderr}`);
  return JSON.parse(exit.stdout.trim().split('\n').pop()!) as Outcome;
}

const request = { model: 'gpt', messages: [{ role: 'user', content: 'Which bucket holds this answer?' }] };

describe('routers in two processes on one S3 bucket', () => {
  it("a hit written by one (new Cache({ type: 's3' })) is served to the other (LiteLLM config.yaml), which calls no upstream", async () => {
    const s3Path = `e2e/${Date.now()}`;
    const first = await inProcess(`
      const { Cache } = require('@llmcache/core');
      const { Router } = require('@llmcache/router');
      (async () => {
        const cache = new Cache(${JSON.stringify({ type: 's3', ...server.options(), s3Path })});
        const router = new Router({
          modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: ${JSON.stringify(upstream.openaiBase)}, apiKey: 'sk-test' } }],
          cache,
        });
        const res = await router.completion(${JSON.stringify(request)});
        await router.close();
        console.log(JSON.stringify({ content: res.choices[0].message.content, cacheHit: res._hiddenParams.cacheHit, ignored: [] }));
      })();`);
    expect(first.cacheHit).toBe(false);
    expect(upstream.callCount({ model: 'gpt-4o' })).toBe(1);

    // Every s3 cache param LiteLLM's S3Cache takes, as a LiteLLM user's file has them.
    const yaml = `
model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o
      api_base: ${upstream.openaiBase}
      api_key: sk-test
litellm_settings:
  cache: true
  cache_params:
    type: s3
    s3_bucket_name: ${server.buckets[0]}
    s3_region_name: us-east-1
    s3_api_version: "2006-03-01"
    s3_use_ssl: false
    s3_verify: false
    s3_endpoint_url: ${server.endpoint}
    s3_aws_access_key_id: ${S3RVER_CREDENTIALS.accessKeyId}
    s3_aws_secret_access_key: ${S3RVER_CREDENTIALS.secretAccessKey}
    s3_aws_session_token: a-session-token
    s3_config: { max_pool_connections: 20 }
    s3_path: ${s3Path}
`;
    const second = await inProcess(`
      const { Router } = require('@llmcache/router');
      (async () => {
        const router = Router.fromConfig(${JSON.stringify(yaml)});
        const res = await router.completion(${JSON.stringify(request)});
        const ignored = router.ignoredConfig;
        await router.close();
        console.log(JSON.stringify({ content: res.choices[0].message.content, cacheHit: res._hiddenParams.cacheHit, ignored }));
      })();`);
    expect(second).toMatchObject({ cacheHit: true, content: first.content });
    expect(upstream.callCount({ model: 'gpt-4o' })).toBe(1);
    expect(second.ignored.map((i) => i.path)).toEqual(
      ['s3_api_version', 's3_use_ssl', 's3_verify', 's3_config'].map((k) => `litellm_settings.cache_params.${k}`),
    );
  }, 60_000);
});
