import { Cache } from '@llmcache/core';
import { Router } from '@llmcache/router';
import { exitWithin, nodeProcess } from '@llmcache/test-suite';
import { ask, deployment, useUpstream } from './helpers';

const upstream = useUpstream();

describe('router.close()', () => {
  it('releases every slot, timer and socket, so the process exits by itself', async () => {
    upstream().setLatency('held-model', 20_000);
    upstream().script('sleepy-model', { status: 429, retryAfter: 20 });
    const script = `
      const { Router } = require('@llmcache/router');
      const { Cache } = require('@llmcache/core');
      const base = ${JSON.stringify(upstream().openaiBase)};
      const router = new Router({
        modelList: [
          { modelName: 'held', params: { model: 'openai/held-model', apiBase: base, maxParallelRequests: 1 } },
          { modelName: 'streamed', params: { model: 'openai/streamed-model', apiBase: base } },
          { modelName: 'sleepy', params: { model: 'openai/sleepy-model', apiBase: base } },
        ],
        cache: new Cache(),
      });
      const ask = (model, content, extra) => router.completion({ model, messages: [{ role: 'user', content }], ...extra });
      const pending = [ask('held', 'in flight'), ask('held', 'queued for the slot'), ask('sleepy', 'sleeps before its retry')];
      const settled = Promise.allSettled(pending).then((all) => all.filter((r) => r.status === 'rejected').length);
      (async () => {
        await ask('streamed', 'held unread', { stream: true });
        await new Promise((resolve) => setTimeout(resolve, 300));
        await router.close();
        console.log('rejected ' + (await settled));
        console.log('closed ' + Date.now());
      })();
    `;
    const { code, stdout: out, at: exitedAt } = await exitWithin(nodeProcess(script), 10_000);
    expect(out).toContain('rejected 3');
    expect(code).toBe(0);
    const closedAt = Number(/closed (\d+)/.exec(out)![1]);
    expect(exitedAt - closedAt).toBeLessThan(2000);
  });

  it("calls after close() throw, and the router's own cache is closed", async () => {
    const cache = new Cache();
    const router = new Router({ modelList: [deployment(upstream(), 'g', 'close-model')], cache });
    await router.completion({ model: 'g', messages: ask('before') });
    await router.close();
    await expect(router.completion({ model: 'g', messages: ask('after') })).rejects.toThrow(/close\(\)/);
    expect((cache.backend as unknown as { size: number }).size).toBe(0);
  });
});
