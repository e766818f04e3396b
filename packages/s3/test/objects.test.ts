import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Cache, CacheBackendError } from '@llmcache/core';
import { EXPIRES_AT_METADATA, LENGTH_METADATA, encodeEntry } from '@llmcache/core/internal';
import { S3Backend } from '@llmcache/s3';
import { useS3rver, writeHalf } from './servers';

const env = useS3rver();
const bucket = () => env.server.buckets[0]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function exists(name: string): Promise<boolean> {
  try {
    await env.raw.send(new HeadObjectCommand({ Bucket: bucket(), Key: name }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'NotFound') return false;
    throw err;
  }
}

function cacheOn(backend: S3Backend, namespace?: string): { cache: Cache; errors: CacheBackendError[] } {
  const cache = new Cache({ backend, ...(namespace ? { namespace } : {}) });
  const errors: CacheBackendError[] = [];
  cache.on('error', (err) => errors.push(err));
  return { cache, errors };
}

describe('objects in the bucket', () => {
  it('are s3Path/namespace/hash, hold exactly the bytes written, with expiry and length in their metadata', async () => {
    const backend = new S3Backend({ ...env.server.options(), s3Path: 'team/llm' });
    const value = encodeEntry({ text: 'añ€😀 日本' }, Date.now(), Date.now() + 60_000);
    await backend.set('prod:abc123', value, 60_000);
    const listed = await env.raw.send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: 'team/llm/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['team/llm/prod/abc123']);
    const object = await env.raw.send(new GetObjectCommand({ Bucket: bucket(), Key: 'team/llm/prod/abc123' }));
    // Byte for byte: a streamed upload would have come back with aws-chunked framing inside.
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(Buffer.from(value, 'utf8'))).toBe(true);
    expect(object.ContentType).toBe('application/json');
    expect(Number(object.Metadata?.[EXPIRES_AT_METADATA])).toBeGreaterThan(Date.now() + 50_000);
    expect(object.Metadata?.[LENGTH_METADATA]).toBe(String(value.length));
    await backend.close();
  });

  it('an entry met after its ttl is a miss and is removed from the bucket', async () => {
    const backend = new S3Backend({ ...env.server.options(), s3Path: 'expiry' });
    const { cache } = cacheOn(backend);
    await cache.set('short', 'gone soon', { ttlMs: 100 });
    expect(await exists('expiry/short')).toBe(true);
    await sleep(200);
    expect(await cache.get('short')).toBeUndefined();
    await sleep(200);
    expect(await exists('expiry/short')).toBe(false);
    await cache.close();
  });

  it('a truncated object written behind our back is a reported miss, never served, and removed', async () => {
    const backend = new S3Backend({ ...env.server.options(), s3Path: 'partial' });
    const { cache, errors } = cacheOn(backend);
    const answer = { content: 'a long answer; '.repeat(50) };
    await cache.set('cut', answer);
    const stored = await env.raw.send(new GetObjectCommand({ Bucket: bucket(), Key: 'partial/cut' }));
    // Half the body under the whole body's metadata, as an upload cut short would leave it.
    await writeHalf(env.raw, bucket(), 'partial/cut', await stored.Body!.transformToString(), stored.Metadata);
    expect(await cache.get('cut')).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.operation).toBe('get');
    expect(errors[0]!.message).toMatch(/partial/);
    await sleep(200);
    expect(await exists('partial/cut')).toBe(false);
    await cache.set('cut', answer);
    expect((await cache.get('cut'))?.value).toEqual(answer);
    await cache.close();
  });

  it("another instance's memory tier may serve an overwritten entry until that entry's ttl ends, never longer", async () => {
    const shared = { ...env.server.options(), s3Path: 'staleness', ttl: 1 };
    const a = new Cache({ type: 's3', ...shared });
    const b = new Cache({ type: 's3', ...shared });
    await a.set('k', 'v1');
    expect((await b.get('k'))?.value).toBe('v1'); // now in b's memory tier, for the rest of its 1 s
    await a.set('k', 'v2', { ttlMs: 60_000 });
    expect((await b.get('k'))?.value).toBe('v1');
    await sleep(1_100);
    expect((await b.get('k'))?.value).toBe('v2');
    await Promise.all([a.close(), b.close()]);
  });
});
