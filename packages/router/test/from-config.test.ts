import { Cache } from '@llmcache/core';
import { Router } from '@llmcache/router';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, useUpstream } from './helpers';

const upstream = useUpstream();

describe('Router.fromConfig', () => {
  it('runs a LiteLLM proxy config.yaml unchanged and reports what it ignores', async () => {
    const yaml = `
model_list:
  - model_name: gpt-3.5
    litellm_params:
      model: openai/gpt-3.5-turbo
      api_base: os.environ/TEST_UPSTREAM
      api_key: os.environ/TEST_KEY
      rpm: 100
  - model_name: gpt-4
    litellm_params:
      model: openai/gpt-4
      api_base: os.environ/TEST_UPSTREAM
router_settings:
  routing_strategy: least-busy
  num_retries: 1
  caching_groups: [["gpt-3.5", "gpt-4"]]
  enable_pre_call_checks: true
litellm_settings:
  cache: true
  cache_params:
    type: local
    ttl: 120
    namespace: from-config
  success_callback: ["langfuse"]
general_settings:
  master_key: sk-1234
`;
    const dir = mkdtempSync(join(tmpdir(), 'llmcache-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, yaml);
    const router = Router.fromConfig(file, { TEST_UPSTREAM: upstream().openaiBase, TEST_KEY: 'sk-env' });
    expect(router.cache).toBeInstanceOf(Cache);
    expect(router.cache!.namespace).toBe('from-config');
    expect(router.unsupportedConfig).toEqual(
      expect.arrayContaining(['router_settings.enable_pre_call_checks', 'litellm_settings.success_callback', 'general_settings.master_key']),
    );
    await router.completion({ model: 'gpt-3.5', messages: ask('from yaml') });
    const shared = await router.completion({ model: 'gpt-4', messages: ask('from yaml') });
    expect(shared._hiddenParams.cacheHit).toBe(true);
    expect(upstream().calls[0]!.headers.authorization).toBe('Bearer sk-env');
  });
});
