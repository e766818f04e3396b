import { describeRedis, useRedisAndUpstream } from './servers';
import { startWorkers } from './workers';

type Answer = { content?: string; cacheHit?: boolean; deploymentId?: string; error?: string };

const { env, closeAfterEach } = useRedisAndUpstream();

const ask = (content: string) => ({ model: 'gpt', messages: [{ role: 'user', content }] });
const modelList = () => [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: env.upstream.openaiBase, apiKey: 'sk-test' } }];
const routerConfig = (cache: Record<string, unknown> = {}) => ({
  modelList: modelList(),
  cache: { type: 'redis', port: env.server.port, namespace: `mp-${Date.now()}`, ...cache },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeRedis('router processes sharing one Redis cache', () => {
  it('a hit written by one of 2 processes is served to the other', async () => {
    const workers = closeAfterEach(await startWorkers(2, routerConfig()));
    const first = await workers[0]!.call<Answer>('completion', { request: ask('shared hello') });
    expect(first.cacheHit).toBe(false);
    const second = await workers[1]!.call<Answer>('completion', { request: ask('shared hello') });
    expect(second).toMatchObject({ cacheHit: true, content: first.content });
    expect(env.upstream.callCount({ model: 'gpt-4o' })).toBe(1);
  }, 30_000);

  it('4 processes × 50 concurrent identical misses make exactly 1 upstream call', async () => {
    const workers = closeAfterEach(await startWorkers(4, routerConfig()));
    // Slow enough that every process misses before the first answer lands.
    env.upstream.setLatency('gpt-4o', 400);
    const answers = (await Promise.all(workers.map((w) => w.call<Answer[]>('burst', { request: ask('the same question'), n: 50 })))).flat();
    expect(answers).toHaveLength(200);
    expect(answers.filter((a) => a.error)).toEqual([]);
    expect(new Set(answers.map((a) => a.content)).size).toBe(1);
    expect(env.upstream.callCount({ model: 'gpt-4o' })).toBe(1);
  }, 60_000);

  for (const change of ['delete', 'overwrite'] as const) {
    it(`every process's memory tier drops an entry within 100 ms of a ${change} made by another`, async () => {
      const workers = closeAfterEach(await startWorkers(4, routerConfig()));
      const request = ask(`coherence ${change}`);
      const key = await workers[0]!.call<string>('cacheKey', { request });
      await workers[0]!.call('set', { key, value: 'v1' });
      // Everyone reads it once, so each memory tier holds v1.
      for (const w of workers) expect(await w.call('get', { key })).toBe('v1');
      if (change === 'delete') await workers[0]!.call('delete', { key });
      else await workers[0]!.call('set', { key, value: 'v2' });
      await sleep(100);
      const expected = change === 'delete' ? null : 'v2';
      for (const w of workers.slice(1)) expect(await w.call('get', { key })).toBe(expected);
    }, 30_000);
  }

  it("cache.clear(namespace) empties that namespace in every process's memory tier within 100 ms, and only that one", async () => {
    const workers = closeAfterEach(await startWorkers(4, routerConfig()));
    const key = await workers[0]!.call<string>('cacheKey', { request: ask('coherence clear') });
    const namespace = key.slice(0, key.lastIndexOf(':'));
    // The same hash one namespace deeper: `ns:eu` starts with `ns:` but is another namespace.
    const deeper = `${namespace}:eu${key.slice(namespace.length)}`;
    await workers[0]!.call('set', { key, value: 'cleared' });
    await workers[0]!.call('set', { key: deeper, value: 'kept' });
    await sleep(50);
    // Everyone reads both twice, so each memory tier holds them.
    for (const w of workers) for (const k of [key, deeper, key, deeper]) expect(await w.call('get', { key: k })).not.toBeNull();
    await workers[0]!.call('clear', { namespace });
    await sleep(100);
    for (const w of workers) {
      expect(await w.call('get', { key })).toBeNull();
      expect(await w.call('get', { key: deeper })).toBe('kept');
    }
  }, 30_000);
});
