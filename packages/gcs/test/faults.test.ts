import { Cache, CacheBackendError } from '@llmcache/core';
import { EXPIRES_AT_METADATA, LENGTH_METADATA, encodeEntry } from '@llmcache/core/internal';
import { GcsBackend } from '@llmcache/gcs';
import { startGcsServer, type GcsServer } from './gcs-server';

// A slow, stopped or misbehaving store is a miss (or a write not stored), reported, and never a failed
// call or a half-written value served.

const BUCKET = 'faults';
let server: GcsServer;
let namespace = 0;

beforeAll(async () => {
  server = await startGcsServer({ buckets: [BUCKET] });
});
afterAll(() => server.close());
afterEach(() => {
  server.hang = false;
  server.failWith = undefined;
  server.mediaMetadataHeaders = true;
  server.downloadFault = undefined;
  server.onRequest = undefined;
});

function cacheOn(url: string, extra: Record<string, unknown> = {}) {
  const cache = new Cache({
    type: 'gcs',
    gcsBucketName: BUCKET,
    gcsApiEndpoint: url,
    gcsPath: 'faults',
    memoryTier: false,
    namespace: `n${namespace++}`,
    ...extra,
  });
  const errors: CacheBackendError[] = [];
  cache.on('error', (err) => errors.push(err));
  return { cache, errors, backend: cache.backend as GcsBackend };
}

const elapsed = async <T>(work: Promise<T>) => {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
};

describe('a GCS that hangs', () => {
  it('aborts each request at requestTimeoutMs: get, set, delete and ping all settle', async () => {
    const backend = new GcsBackend({ gcsBucketName: BUCKET, gcsApiEndpoint: server.url, requestTimeoutMs: 150 });
    server.hang = true;
    for (const call of [() => backend.get('k'), () => backend.set('k', 'v', null), () => backend.delete('k')]) {
      const started = Date.now();
      await expect(call()).rejects.toThrow(/timeout/i);
      expect(Date.now() - started).toBeLessThan(1500);
    }
    expect((await elapsed(backend.ping())).value).toBe(false);
    await backend.close();
  });

  it('is a reported miss and a write not stored, within the operation timeout, through Cache', async () => {
    const { cache, errors } = cacheOn(server.url, { operationTimeoutMs: 300 });
    server.hang = true;
    const read = await elapsed(cache.get('k'));
    expect(read.value).toBeUndefined();
    expect(read.ms).toBeLessThan(2000);
    const write = await elapsed(cache.set('k', { answer: 1 }));
    expect(write.value).toBe(false);
    expect(write.ms).toBeLessThan(2000);
    expect(await cache.ping()).toBe(false);
    expect(errors.map((e) => e.operation)).toEqual(['get', 'set']);
    await cache.close();
  });
});

describe('a GCS that stalls mid-download', () => {
  it("settles at requestTimeoutMs and closes the download's connection", async () => {
    const stalling = await startGcsServer({ buckets: [BUCKET] });
    const backend = new GcsBackend({ gcsBucketName: BUCKET, gcsApiEndpoint: stalling.url, requestTimeoutMs: 600 });
    try {
      await backend.set('k', 'x'.repeat(100_000), null);
      stalling.downloadFault = 'stall';
      const started = Date.now();
      const read = expect(backend.get('k')).rejects.toThrow(/timeout/i);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const whileStalled = stalling.openConnections;
      await read;
      expect(Date.now() - started).toBeLessThan(2000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stalling.openConnections).toBe(whileStalled - 1);
    } finally {
      await backend.close();
      await stalling.close();
    }
  });
});

describe('a GCS that stopped', () => {
  it('is a reported miss and a write not stored, at once', async () => {
    const stopped = await startGcsServer({ buckets: [BUCKET] });
    const { cache, errors } = cacheOn(stopped.url);
    expect(await cache.set('k', { answer: 1 })).toBe(true);
    expect((await cache.get('k'))?.value).toEqual({ answer: 1 });
    await stopped.close();
    const read = await elapsed(cache.get('k'));
    expect(read.value).toBeUndefined();
    expect(read.ms).toBeLessThan(1000);
    expect(await cache.set('k', { answer: 2 })).toBe(false);
    expect(await cache.ping()).toBe(false);
    expect(errors.map((e) => e.operation)).toEqual(['get', 'set']);
    expect(errors[0]!.message).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
    await cache.close();
  });
});

describe('a GCS that answers with errors', () => {
  it('is a miss at once: a 503 is not retried behind the caller', async () => {
    const { cache, errors } = cacheOn(server.url);
    server.failWith = 503;
    const before = server.requests.length;
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.set('k', { answer: 1 })).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.requests.length - before).toBe(2);
    expect(errors.map((e) => e.operation)).toEqual(['get', 'set']);
    await cache.close();
  });
});

describe('what is stored is what is served', () => {
  it('puts each entry at gcsPath/namespace/hash with its expiry and length as object metadata', async () => {
    const { cache, backend } = cacheOn(server.url, { namespace: 'tenant-a' });
    await cache.set('tenant-a:abc123', { answer: 1 }, { ttlMs: 60_000 });
    const stored = server.object(BUCKET, 'faults/tenant-a/abc123')!;
    expect(backend.objectName('tenant-a:abc123')).toBe('faults/tenant-a/abc123');
    expect(Number(stored.metadata[EXPIRES_AT_METADATA])).toBeGreaterThan(Date.now());
    expect(stored.metadata[LENGTH_METADATA]).toBe(String(stored.data.toString('utf8').length));
    await cache.close();
  });

  it('reads an entry and its metadata in one request', async () => {
    const { cache } = cacheOn(server.url);
    await cache.set('one-request', { answer: 1 });
    const before = server.requests.length;
    expect((await cache.get('one-request'))?.value).toEqual({ answer: 1 });
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.query.alt ?? ''}`)).toEqual(['GET media']);
    await cache.close();
  });

  it('reports a partial object written behind its back as a miss, and removes it', async () => {
    const { cache, errors, backend } = cacheOn(server.url);
    const whole = encodeEntry({ answer: 'a complete answer that was cut short' }, Date.now(), null);
    const name = backend.objectName('partial');
    // Its metadata promises the whole body; only a part of it arrived.
    server.put(BUCKET, name, whole.slice(0, whole.length - 10), { [LENGTH_METADATA]: String(whole.length) });
    expect(await cache.get('partial')).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/partial/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.object(BUCKET, name)).toBeUndefined();
    await cache.close();
  });

  it('reports a download cut off mid-body as a miss, never a part of it', async () => {
    const { cache, errors } = cacheOn(server.url);
    await cache.set('cut', { answer: 'x'.repeat(50_000) });
    server.downloadFault = 'cut';
    expect(await cache.get('cut')).toBeUndefined();
    expect(errors.map((e) => e.operation)).toEqual(['get']);
    await cache.close();
  });

  it('asks for the metadata of the same generation when the download carries none, so expiry and length still hold', async () => {
    const { cache, errors, backend } = cacheOn(server.url);
    server.mediaMetadataHeaders = false;
    await cache.set('fresh', { answer: 1 });
    await cache.set('stale', { answer: 2 }, { ttlMs: 50 });
    const before = server.requests.length;
    expect((await cache.get('fresh'))?.value).toEqual({ answer: 1 });
    const [media, meta] = server.requests.slice(before);
    expect(meta).toMatchObject({ method: 'GET', query: { generation: server.object(BUCKET, backend.objectName('fresh'))!.generation } });
    expect(media!.query.alt).toBe('media');
    await new Promise((resolve) => setTimeout(resolve, 80));
    // Past its expiry: not served, and removed from the bucket.
    expect(await backend.get('stale')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.object(BUCKET, backend.objectName('stale'))).toBeUndefined();
    const whole = encodeEntry({ answer: 'cut' }, Date.now(), null);
    server.put(BUCKET, backend.objectName('cut-short'), whole.slice(0, -3), { [LENGTH_METADATA]: String(whole.length) });
    expect(await cache.get('cut-short')).toBeUndefined();
    expect(errors.map((e) => e.message).join()).toMatch(/partial/);
    await cache.close();
  });

  it('treats an object replaced between its download and its metadata as a miss', async () => {
    const { backend } = cacheOn(server.url);
    server.mediaMetadataHeaders = false;
    await backend.set('moving', 'first', null);
    const name = backend.objectName('moving');
    // Replace it once its bytes have been sent, before the metadata request arrives.
    server.onRequest = (request) => {
      if (request.query.alt === 'media') setImmediate(() => server.put(BUCKET, name, 'second', { [LENGTH_METADATA]: '6' }));
    };
    expect(await backend.get('moving')).toBeUndefined();
    server.onRequest = undefined;
    expect(await backend.get('moving')).toBe('second');
    await backend.close();
  });
});
