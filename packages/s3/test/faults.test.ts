import { Cache, type CacheBackendError } from '@llmcache/core';
import { Router } from '@llmcache/router';
import { S3Backend } from '@llmcache/s3';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { startS3rver, type S3rverProcess } from './servers';

let server: S3rverProcess;
let upstream: Upstream;

beforeAll(async () => {
  [server, upstream] = await Promise.all([startS3rver(), startUpstream()]);
});
afterEach(() => {
  server.resume();
  upstream.reset();
});
afterAll(async () => {
  await upstream?.close();
  await server?.close();
});

const ask = (content: string) => ({ model: 'gpt', messages: [{ role: 'user' as const, content }] });

/** A router on the test upstream with an S3 cache; every cache error is collected. */
function routerWithS3(options: Record<string, unknown>): { router: Router; cache: Cache; errors: CacheBackendError[] } {
  const cache = new Cache({ type: 's3', ...server.options(), namespace: `faults-${Date.now()}-${Math.random()}`, ...options });
  const errors: CacheBackendError[] = [];
  cache.on('error', (err) => errors.push(err));
  const router = new Router({ modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: upstream.openaiBase, apiKey: 'sk-test' } }], cache });
  return { router, cache, errors };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

describe('S3 that hangs (s3rver stopped with SIGSTOP: connections accepted, never answered)', () => {
  it('a call is a miss within operationTimeoutMs and goes upstream; hits resume when S3 answers again', async () => {
    const { router, errors } = routerWithS3({ memoryTier: false, operationTimeoutMs: 400 });
    try {
      await router.completion(ask('cached before'));
      expect((await router.completion(ask('cached before')))._hiddenParams.cacheHit).toBe(true);
      server.pause();
      // The read and the write of the answer each wait at most 400 ms.
      const { value: res, ms } = await timed(() => router.completion(ask('cached before')));
      expect(res._hiddenParams.cacheHit).toBe(false);
      expect(res.choices[0]!.message.content).toBeTruthy();
      expect(ms).toBeLessThan(2_000);
      expect(upstream.callCount({ model: 'gpt-4o' })).toBe(2);
      expect(errors.map((e) => e.operation)).toEqual(['get', 'set']);
      server.resume();
      await router.completion(ask('after'));
      expect((await router.completion(ask('after')))._hiddenParams.cacheHit).toBe(true);
    } finally {
      await router.close();
    }
  }, 30_000);

  it('with the memory tier on, what this instance holds is still served at memory speed', async () => {
    const { router, errors } = routerWithS3({ operationTimeoutMs: 400 });
    try {
      await router.completion(ask('hot'));
      server.pause();
      const { value: hit, ms } = await timed(() => router.completion(ask('hot')));
      expect(hit._hiddenParams.cacheHit).toBe(true);
      expect(ms).toBeLessThan(100);
      expect(errors).toEqual([]);
      // A new question goes upstream; its S3 write is abandoned and reported, the call still answers.
      expect((await router.completion(ask('new while hung')))._hiddenParams.cacheHit).toBe(false);
      expect(errors.map((e) => e.operation)).toEqual(['get', 'set']);
    } finally {
      server.resume();
      await router.close();
    }
  }, 30_000);

  it('the SDK request itself is aborted after requestTimeoutMs, and close() aborts what is in flight', async () => {
    const quick = new S3Backend({ ...server.options(), requestTimeoutMs: 200 });
    const patient = new S3Backend({ ...server.options(), requestTimeoutMs: 60_000 });
    server.pause();
    try {
      const { value: outcome, ms } = await timed(() =>
        quick.get('k').then(
          () => 'answered',
          (err: Error) => err.name,
        ),
      );
      expect(outcome).toBe('AbortError');
      expect(ms).toBeLessThan(1_000);
      const pending = patient.get('k').then(
        () => 'answered',
        (err: Error) => err.name,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const closing = timed(() => patient.close());
      expect(await pending).toBe('AbortError');
      expect((await closing).ms).toBeLessThan(1_000);
    } finally {
      server.resume();
      await quick.close();
    }
  });
});

describe('S3 that fails', () => {
  it('stopped: every call succeeds as a reported miss; restarted on its port: hits resume', async () => {
    const { router, errors } = routerWithS3({ memoryTier: false, operationTimeoutMs: 1_000 });
    try {
      await server.stop();
      for (const content of ['one', 'two', 'one']) {
        const res = await router.completion(ask(content));
        expect(res._hiddenParams.cacheHit).toBe(false);
      }
      expect(upstream.callCount({ model: 'gpt-4o' })).toBe(3);
      expect(errors.length).toBeGreaterThanOrEqual(6);
      expect(errors.every((e) => String((e.cause as { code?: string }).code ?? e.message).includes('ECONNREFUSED'))).toBe(true);
      await server.start();
      await router.completion(ask('one'));
      expect((await router.completion(ask('one')))._hiddenParams.cacheHit).toBe(true);
    } finally {
      await server.start();
      await router.close();
    }
  }, 30_000);

  it('ping() is false while S3 is down, with the memory tier in front too', async () => {
    const tiered = new Cache({ type: 's3', ...server.options() });
    const missing = new Cache({ type: 's3', ...server.options('no-such-bucket') });
    try {
      expect(await tiered.ping()).toBe(true);
      expect(await missing.ping()).toBe(false);
      await server.stop();
      expect(await tiered.ping()).toBe(false);
    } finally {
      await server.start();
      await Promise.all([tiered.close(), missing.close()]);
    }
  });

  it('bucket missing: calls succeed, NoSuchBucket is reported (never taken for an absent key), ping() is false', async () => {
    const cache = new Cache({ type: 's3', ...server.options('no-such-bucket'), memoryTier: false });
    const errors: CacheBackendError[] = [];
    cache.on('error', (err) => errors.push(err));
    try {
      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.set('k', 'v')).toBe(false);
      expect(errors.map((e) => [e.operation, (e.cause as Error).name])).toEqual([
        ['get', 'NoSuchBucket'],
        ['set', 'NoSuchBucket'],
      ]);
      expect(await cache.ping()).toBe(false);
    } finally {
      await cache.close();
    }
  });
});
