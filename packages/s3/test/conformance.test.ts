import { GetObjectCommand } from '@aws-sdk/client-s3';
import { runBackendConformance, runDualEntryCheck } from '@llmcache/test-suite';
import { withMemoryTier, type CacheBackend, type TieredBackend } from '@llmcache/core';
import { S3Backend } from '@llmcache/s3';
import { useS3rver, writeHalf } from './servers';

const api = { describe, it, beforeAll, afterAll };
const env = useS3rver();

/** Replaces the object of `key` with the first half of its body, without its metadata, through the SDK. */
async function corruptObject(backend: S3Backend, key: string): Promise<void> {
  const name = backend.objectName(key);
  const stored = await env.raw.send(new GetObjectCommand({ Bucket: backend.bucket, Key: name }));
  await writeHalf(env.raw, backend.bucket, name, await stored.Body!.transformToString());
}

runDualEntryCheck(api, '@llmcache/s3');

runBackendConformance(api, {
  name: 's3 (s3rver)',
  create: () => new S3Backend({ ...env.server.options(), s3Path: 'conformance' }),
  corrupt: (backend, key) => corruptObject(backend as S3Backend, key),
});

runBackendConformance(api, {
  name: 'tiered(memory+s3) (s3rver)',
  create: (): CacheBackend => withMemoryTier(new S3Backend({ ...env.server.options(), s3Path: 'conformance-tiered' }), { maxSizePerItem: 16 * 1024 }),
  // A memory tier over S3 hears nothing of other instances (see the README).
  coherent: false,
  corrupt: async (backend, key) => {
    const tiered = backend as TieredBackend;
    // As another instance meets it: its memory tier never held the entry, so the read goes to S3.
    await tiered.memory.delete(key);
    await corruptObject(tiered.remote as S3Backend, key);
  },
});
