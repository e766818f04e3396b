import { Cache } from '@llmcache/core';
import { describeRedis, useRedisAndUpstream } from './servers';
import { startWorkers, type Worker } from './workers';

type Answer = { content?: string; cacheHit?: boolean; error?: string; status?: number };

const { env, closeAfterEach } = useRedisAndUpstream();

const ask = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'gpt', messages: [{ role: 'user', content }], ...extra });
const routerConfig = () => ({
  modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: env.upstream.openaiBase, apiKey: 'sk-test' } }],
  cache: { type: 'redis', port: env.server.port, namespace: `sf-${Date.now()}-${Math.random()}` },
});

/** Sends one call to each worker at once; resolves to each answer with the ms it took, measured here. */
async function timedAll(workers: Worker[], op: string, request: Record<string, unknown>): Promise<(Answer & { ms: number })[]> {
  const started = performance.now();
  return Promise.all(workers.map(async (w) => ({ ...(await w.call<Answer>(op, { request })), ms: Math.round(performance.now() - started) })));
}

describeRedis('single-flight across processes never costs more than going alone', () => {
  it('4 processes with no-store and a 1.5 s upstream go upstream side by side, not one after another', async () => {
    const workers = closeAfterEach(await startWorkers(4, routerConfig()));
    env.upstream.setLatency('gpt-4o', 1500);
    const answers = await timedAll(workers, 'completion', ask('no-store question', { cache: { 'no-store': true } }));
    console.log(
      'no-store finish times (ms):',
      answers.map((a) => a.ms),
    );
    expect(answers.filter((a) => a.error)).toEqual([]);
    expect(env.upstream.callCount({ model: 'gpt-4o' })).toBe(4);
    // Going alone takes 1.5 s; queued on the lock the last one took 6.7 s.
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(3000);
  }, 60_000);

  it('4 processes whose upstream fails: once the first fails, the others go upstream side by side, not in turns', async () => {
    const workers = closeAfterEach(await startWorkers(4, routerConfig()));
    env.upstream.setLatency('gpt-4o', 1500);
    env.upstream.script('gpt-4o', { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const answers = await timedAll(workers, 'completion', ask('failing question', { numRetries: 0 }));
    console.log(
      'failing-upstream finish times (ms):',
      answers.map((a) => a.ms),
      answers.map((a) => a.status),
    );
    expect(answers.every((a) => a.error !== undefined)).toBe(true);
    expect(env.upstream.callCount({ model: 'gpt-4o' })).toBe(4);
    // Each call alone fails after 1.5 s. The waiters cannot know the holder will fail: they wait for it, then
    // all go at once (about 3.3 s in all); in turns the last failed after about 4 × 1.5 s.
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(5500);
  }, 60_000);

  it('4 processes whose answer is empty (not stored): once the first has it, the others go upstream side by side', async () => {
    const workers = closeAfterEach(await startWorkers(4, routerConfig()));
    env.upstream.setLatency('gpt-4o', 1500);
    env.upstream.script('gpt-4o', { reply: '' }, { reply: '' }, { reply: '' }, { reply: '' });
    const answers = await timedAll(workers, 'completion', ask('empty answer question'));
    console.log(
      'empty-answer finish times (ms):',
      answers.map((a) => a.ms),
    );
    expect(answers.filter((a) => a.error)).toEqual([]);
    expect(answers.every((a) => a.content === '')).toBe(true);
    expect(env.upstream.callCount({ model: 'gpt-4o' })).toBe(4);
    // Alone: 1.5 s; the holder's 1.5 s then the rest at once: about 3.3 s; in turns: about 4 × 1.5 s.
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(5500);
  }, 60_000);

  for (const timeout of [3, undefined]) {
    const bound = timeout === undefined ? 'within the 5 s lease of a dead holder' : 'within its own timeout (3 s)';
    it(`a waiter whose lock holder was killed (kill -9) answers ${bound}, not after lockWaitMs (30 s)`, async () => {
      const [holder, waiter] = closeAfterEach(await startWorkers(2, routerConfig())) as [Worker, Worker];
      // The holder's upstream call hangs; the waiter's own call, when it makes one, is quick.
      env.upstream.script('gpt-4o', { latencyMs: 60_000 });
      const request = ask(`the holder dies (${timeout})`);
      void holder.call('completion', { request }).catch(() => undefined);
      for (const end = Date.now() + 10_000; env.upstream.callCount({ model: 'gpt-4o' }) === 0 && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
      expect(env.upstream.callCount({ model: 'gpt-4o' })).toBe(1);
      holder.child.kill('SIGKILL');
      const started = performance.now();
      const answer = await waiter.call<Answer>('completion', { request: timeout === undefined ? request : { ...request, timeout } });
      const ms = Math.round(performance.now() - started);
      console.log(`waiter (timeout ${timeout}) after kill -9 answered in (ms):`, ms);
      expect(answer.error).toBeUndefined();
      expect(answer.content).toEqual(expect.any(String));
      // At most 3 s (or the 5 s lease) of waiting, then its own quick call.
      expect(ms).toBeLessThan(timeout === undefined ? 9000 : 6000);
    }, 60_000);
  }

  it('streams: a process streaming a miss another process is already streaming waits at most for the first chunk of that stream, then makes its own upstream call (documented)', async () => {
    const [first, second, third] = closeAfterEach(await startWorkers(3, routerConfig())) as [Worker, Worker, Worker];
    env.upstream.setLatency('gpt-4o', 1000);
    const request = ask('stream the same miss');
    const started = performance.now();
    // The first reader is slow: its stream stays open, and its answer unstored, for 3 s after the first chunk.
    const one = first.call<Answer>('stream', { request, pauseAfterFirstMs: 3000 });
    await new Promise((r) => setTimeout(r, 150));
    const two = second.call<Answer>('stream', { request }).then((a) => ({ ...a, ms: Math.round(performance.now() - started) }));
    const [a, b] = await Promise.all([one, two]);
    console.log('second stream finished after (ms):', b.ms, 'upstream calls:', env.upstream.callCount({ model: 'gpt-4o' }));
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    // As the README says: two upstream calls; the second waited for the first one's first chunk (1 s) and
    // no longer (not for the whole stream, 4 s), then took its own 1 s: about 2 s in all.
    expect(env.upstream.callCount({ model: 'gpt-4o' })).toBe(2);
    expect(b.ms).toBeGreaterThan(1800);
    expect(b.ms).toBeLessThan(3500);
    // Once a streamed answer is complete it is stored: a third process streams it from the cache.
    const c = await third.call<Answer>('stream', { request });
    expect(c.content).toBe(a.content);
    expect(env.upstream.callCount({ model: 'gpt-4o' })).toBe(2);
  }, 60_000);
});

describeRedis('lock keys live in their own key space', () => {
  const caches: Cache[] = [];
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
  });
  const newCache = (prefix: string) => {
    const cache = new Cache({ type: 'redis', port: env.server.port, prefix, memoryTier: false, lockWaitMs: 3000 } as never);
    cache.on('error', () => undefined);
    caches.push(cache);
    return cache;
  };
  const slow = (value: string, ms: number, counter: { n: number }) => async () => {
    counter.n++;
    await new Promise((r) => setTimeout(r, ms));
    return value;
  };

  it('an entry whose key starts with `lock:` never stands for a lock: a miss of the bare key computes at once', async () => {
    const prefix = `lk-${Date.now()}`;
    const cache = newCache(prefix);
    await cache.set('lock:k', 'an entry in namespace lock');
    const counter = { n: 0 };
    const started = performance.now();
    const result = await cache.wrap('k', slow('v', 10, counter), { control: cache.resolveControl('completion') });
    const ms = Math.round(performance.now() - started);
    console.log('miss next to a `lock:` entry took (ms):', ms);
    expect(result.value).toBe('v');
    expect(ms).toBeLessThan(1000); // it waited out lockWaitMs (3 s) before
  }, 30_000);

  it('a read of `lock:k` never deletes the live lock of `k`', async () => {
    const prefix = `lk2-${Date.now()}`;
    const [a, b, reader] = [newCache(prefix), newCache(prefix), newCache(prefix)];
    const counter = { n: 0 };
    const control = a.resolveControl('completion');
    const first = a.wrap('k', slow('v', 600, counter), { control });
    await new Promise((r) => setTimeout(r, 150));
    expect(await reader.get('lock:k')).toBeUndefined();
    const second = await b.wrap('k', slow('v', 600, counter), { control });
    await first;
    console.log('computations of one miss across two caches after a read of `lock:k`:', counter.n);
    expect(second.value).toBe('v');
    expect(counter.n).toBe(1);
  }, 30_000);
});
