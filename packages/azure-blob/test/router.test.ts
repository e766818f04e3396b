import { join } from 'node:path';
import { Cache, TieredBackend } from '@llmcache/core';
import { AzureBlobBackend } from '@llmcache/azure-blob';
import { Router, readLiteLLMConfig } from '@llmcache/router';
import { exitWithin, nodeProcess } from '@llmcache/test-suite';
import { ACCOUNT_KEY, useAzuriteAndUpstream } from './servers';

const CONFIG = join(__dirname, 'fixtures', 'litellm-config.yaml');
const servers = useAzuriteAndUpstream();

/** The environment a LiteLLM deployment of that config would have: the account key comes from it. */
const env = () => ({ UPSTREAM_BASE: servers.upstream.openaiBase, AZURE_ACCOUNT_URL: servers.azurite.accountUrl, AZURE_STORAGE_ACCOUNT_KEY: ACCOUNT_KEY });

describe("LiteLLM's azure-blob cache_params", () => {
  it('load unchanged; the keys llmcache lacks are reported as ignored, with why', () => {
    const { cacheOptions, ignored } = readLiteLLMConfig(CONFIG, env());
    expect(cacheOptions).toEqual({
      type: 'azure-blob',
      azureAccountUrl: servers.azurite.accountUrl,
      azureBlobContainer: 'litellm-cache',
      ttl: 600,
      supportedCallTypes: ['acompletion', 'completion'],
    });
    expect(ignored).toEqual([{ path: 'litellm_settings.cache_params.default_in_memory_ttl', reason: 'not a Cache option of @llmcache/core' }]);
  });

  it('a bad value is a CacheConfigError naming the option', () => {
    const config = { model_list: [], litellm_settings: { cache: true, cache_params: { type: 'azure-blob', azure_blob_container: 7 } } };
    expect(() => Router.fromConfig(config, env())).toThrow(/azureBlobContainer: must be a non-empty string/);
  });
});

describe('a router with Azure Blob as its cache', () => {
  it('in one process: a hit after a miss, served without a second upstream call', async () => {
    const router = new Router({
      modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: servers.upstream.openaiBase, apiKey: 'sk-test' } }],
      cache: new Cache({ type: 'azure-blob', azureConnectionString: servers.azurite.connectionString, azureBlobContainer: 'in-process' }),
    });
    try {
      expect(router.cache!.backend).toBeInstanceOf(TieredBackend);
      const request = { model: 'gpt', messages: [{ role: 'user' as const, content: 'in one process' }] };
      const first = await router.completion(request);
      const second = await router.completion(request);
      expect([first._hiddenParams.cacheHit, second._hiddenParams.cacheHit]).toEqual([false, true]);
      expect(second.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
      expect(servers.upstream.callCount({ model: 'gpt-4o' })).toBe(1);
      // The entry is in Azure, not only in this process's memory.
      const remote = (router.cache!.backend as TieredBackend).remote as AzureBlobBackend;
      expect(await remote.get(router.cacheKey(request))).toContain('in one process');
    } finally {
      await router.close();
    }
  });

  it("across two processes loading the LiteLLM config: the second is served the first one's answer", async () => {
    // Each process loads the config, asks once, closes its router and must then exit by itself:
    // close() leaves no socket or timer that would keep it alive.
    const script = `
      const { Router } = require('@llmcache/router');
      (async () => {
        const router = Router.fromConfig(${JSON.stringify(CONFIG)});
        const res = await router.completion({ model: 'gpt', messages: [{ role: 'user', content: 'across processes' }] });
        console.log(JSON.stringify({ content: res.choices[0].message.content, cacheHit: res._hiddenParams.cacheHit }));
        await router.close();
      })();
    `;
    const first = await exitWithin(nodeProcess(script, env()), 20_000);
    const second = await exitWithin(nodeProcess(script, env()), 20_000);
    for (const run of [first, second]) expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const [a, b] = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
    expect(a.cacheHit).toBe(false);
    expect(b).toEqual({ content: a.content, cacheHit: true });
    expect(servers.upstream.callCount({ model: 'gpt-4o' })).toBe(1);
  }, 60_000);
});
