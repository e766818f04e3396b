// The Router's own ways to Redis: the `redis` option, LiteLLM's router_settings.redis_* and
// `cache: true` from a config file, on a real redis-server.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router, RouterConfigError } from '@llmcache/router';
import { CoherentTieredBackend } from '@llmcache/redis';
import { Redis } from 'ioredis';
import { exitWithin, nodeProcess } from '@llmcache/test-suite';
import { describeRedis, useRedisAndUpstream } from './servers';

const { env, closeAfterEach } = useRedisAndUpstream();

let run = 0;
const ask = (content: string) => ({ model: 'gpt', messages: [{ role: 'user' as const, content }] });
/** Two deployments of one group that cool down at their first failure; each router gets the same config. */
function twoDeployments(redis: Record<string, unknown>): Router {
  const modelList = ['dep-a', 'dep-b'].map((model) => ({
    modelName: 'gpt',
    params: { model: `openai/${model}`, apiBase: env.upstream.openaiBase, apiKey: 'sk-test' },
  }));
  const router = new Router({ modelList, redis, allowedFails: 0, cooldownTime: 30, numRetries: 0 });
  return closeAfterEach([router])[0]!;
}

describeRedis('Router redis option', () => {
  it('a deployment cooled down by one router is skipped by another on the same Redis', async () => {
    const redis = { host: '127.0.0.1', port: env.server.port, prefix: `ro-${run++}` };
    const first = twoDeployments(redis);
    const second = twoDeployments(redis);
    env.upstream.script('dep-a', { status: 500 }, { status: 500 });
    env.upstream.script('dep-b', { status: 500 }, { status: 500 });
    // Until one call lands on each, so that both deployments of `first` fail once and cool down.
    const cooled = new Set<string>();
    first.on('cooldown', (e) => cooled.add(e.deploymentId));
    for (let i = 0; i < 10 && cooled.size < 2; i++) await first.completion(ask(`fail ${i}`)).catch(() => undefined);
    expect(cooled.size).toBe(2);
    // The second router never saw a failure, yet finds both cooling down.
    const err = await second.completion(ask('after')).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429 });
    expect((err as Error).message).toMatch(/cooling down/);
  });

  it('takes a url, and an ioredis client that it uses but never closes', async () => {
    const byUrl = twoDeployments({ url: `redis://127.0.0.1:${env.server.port}`, prefix: `ro-${run++}` });
    expect((await byUrl.completion(ask('by url'))).choices[0]!.message.content).toContain('by url');
    const client = new Redis({ port: env.server.port });
    try {
      const byClient = twoDeployments(client as unknown as Record<string, unknown>);
      expect((await byClient.completion(ask('by client'))).choices[0]!.message.content).toContain('by client');
      await byClient.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('refuses an unknown Redis option and redis together with state, naming them', () => {
    expect(() => twoDeployments({ hots: 'x' })).toThrow(RouterConfigError);
    expect(() => twoDeployments({ hots: 'x' })).toThrow(/redis\.hots/);
    const modelList = [{ modelName: 'gpt', params: { model: 'openai/m' } }];
    expect(() => new Router({ modelList, redis: { port: env.server.port }, state: { coolingDown: () => new Set() } as never })).toThrow(
      /redis: give either redis or state/,
    );
  });
});

describeRedis('Router.fromConfig with Redis', () => {
  it('router_settings.redis_* share routing state and cache: true with no type is a Redis cache', async () => {
    const yaml = `
model_list:
  - model_name: gpt
    litellm_params: { model: openai/dep-a, api_base: "${env.upstream.openaiBase}", api_key: sk-test }
  - model_name: gpt
    litellm_params: { model: openai/dep-b, api_base: "${env.upstream.openaiBase}", api_key: sk-test }
router_settings:
  redis_host: 127.0.0.1
  redis_port: os.environ/STATE_PORT
  allowed_fails: 0
  cooldown_time: 30
  num_retries: 0
litellm_settings:
  cache: true
  cache_params:
    host: 127.0.0.1
    port: ${env.server.port}
    namespace: from-config-${run++}
`;
    const file = join(mkdtempSync(join(tmpdir(), 'llmcache-redis-config-')), 'config.yaml');
    writeFileSync(file, yaml);
    const variables = { STATE_PORT: String(env.server.port) };
    const first = Router.fromConfig(file, variables);
    const second = Router.fromConfig(file, variables);
    closeAfterEach([first, second]);
    expect(first.cache!.backend).toBeInstanceOf(CoherentTieredBackend);
    expect(first.unsupportedConfig).toEqual([]);

    // The cache is shared: an answer one router stored is a hit for the other.
    await first.completion(ask('shared answer'));
    expect((await second.completion(ask('shared answer')))._hiddenParams.cacheHit).toBe(true);
    expect(env.upstream.callCount()).toBe(1);

    // So is the routing state.
    env.upstream.script('dep-a', { status: 500 }, { status: 500 });
    env.upstream.script('dep-b', { status: 500 }, { status: 500 });
    const cooled = new Set<string>();
    first.on('cooldown', (e) => cooled.add(e.deploymentId));
    for (let i = 0; i < 10 && cooled.size < 2; i++) await first.completion({ ...ask(`fail ${i}`), cache: { 'no-cache': true } }).catch(() => undefined);
    expect(cooled.size).toBe(2);
    await expect(second.completion(ask('fresh question'))).rejects.toMatchObject({ status: 429 });
  });

  it('a process whose router used Redis for its cache and its state exits by itself after close()', async () => {
    const script = `
      const { Router } = require('@llmcache/router');
      const { Cache } = require('@llmcache/core');
      const router = new Router({
        modelList: [{ modelName: 'gpt', params: { model: 'openai/m', apiBase: ${JSON.stringify(env.upstream.openaiBase)}, apiKey: 'sk-test' } }],
        cache: new Cache({ type: 'redis', port: ${env.server.port}, namespace: 'exit-${run++}' }),
        redis: { port: ${env.server.port} },
      });
      router.completion({ model: 'gpt', messages: [{ role: 'user', content: 'then exit' }] })
        .then(() => router.close())
        .then(() => console.log('closed ' + Date.now()));
    `;
    const { code, stdout: out, at: exitedAt } = await exitWithin(nodeProcess(script), 10_000);
    expect(code).toBe(0);
    expect(exitedAt - Number(/closed (\d+)/.exec(out)![1])).toBeLessThan(2000);
  });
});
