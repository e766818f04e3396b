import { exitWithin, nodeProcess } from '@llmcache/test-suite';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { startGcsServer, type GcsServer } from './gcs-server';

// Two router processes, each with its own memory tier, share answers through one bucket; each exits by
// itself once its router is closed, so nothing of the cache keeps a process alive.

let server: GcsServer;
let upstream: Upstream;

beforeAll(async () => {
  [server, upstream] = await Promise.all([startGcsServer({ buckets: ['shared'] }), startUpstream()]);
});
afterAll(() => Promise.all([server.close(), upstream.close()]));

/** One router process: asks once, prints what it got, closes the router and lets Node exit on its own. */
const ROUTER_PROCESS = `
const { Cache } = require('@llmcache/core');
const { Router } = require('@llmcache/router');
(async () => {
  const router = new Router({
    modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: process.env.UPSTREAM, apiKey: 'sk-test' } }],
    cache: new Cache({ type: 'gcs', gcsPath: 'e2e' }),
  });
  const res = await router.completion({ model: 'gpt', messages: [{ role: 'user', content: 'shared across processes' }] });
  console.log(JSON.stringify({ cacheHit: res._hiddenParams.cacheHit, content: res.choices[0].message.content }));
  await router.close();
})();
`;

async function runRouterProcess(): Promise<{ cacheHit: boolean; content: string }> {
  const child = nodeProcess(ROUTER_PROCESS, { UPSTREAM: upstream.openaiBase, GCS_BUCKET_NAME: 'shared', STORAGE_EMULATOR_HOST: server.url });
  const exit = await exitWithin(child, 15_000);
  expect(exit).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(exit.stdout) as { cacheHit: boolean; content: string };
}

it('serves the answer one router process stored to another, through the bucket', async () => {
  const first = await runRouterProcess();
  expect(first.cacheHit).toBe(false);
  const second = await runRouterProcess();
  expect(second).toEqual({ cacheHit: true, content: first.content });
  expect(upstream.callCount({ model: 'gpt-4o' })).toBe(1);
  expect(server.requests.filter((r) => r.path.startsWith('/upload/'))).toHaveLength(1);
}, 40_000);
