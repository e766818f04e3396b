import { runBackendConformance, runDualEntryCheck } from '@llmcache/test-suite';
import { TieredBackend, withMemoryTier, type CacheBackend } from '@llmcache/core';
import { GcsBackend } from '@llmcache/gcs';
import { startGcsServer, type GcsServer } from './gcs-server';

const api = { describe, it, beforeAll, afterAll };
let server: GcsServer;

beforeAll(async () => {
  server = await startGcsServer({ buckets: ['conformance'] });
});
afterAll(() => server.close());

const open = (gcsPath: string) => new GcsBackend({ gcsBucketName: 'conformance', gcsApiEndpoint: server.url, gcsPath });

/**
 * Half of the stored body, written straight into the bucket with no metadata: what a foreign or broken
 * writer leaves. With a memory tier, its copy goes too, as in a process that never read the entry.
 */
const corrupt = async (backend: CacheBackend, key: string) => {
  const remote = (backend instanceof TieredBackend ? backend.remote : backend) as GcsBackend;
  if (backend instanceof TieredBackend) await backend.memory.delete(key);
  const name = remote.objectName(key);
  const stored = server.object('conformance', name)!.data.toString('utf8');
  server.put('conformance', name, stored.slice(0, Math.floor(stored.length / 2)));
};

runDualEntryCheck(api, '@llmcache/gcs');
runBackendConformance(api, { name: 'gcs', create: () => open('plain'), corrupt });
runBackendConformance(api, {
  name: 'tiered(memory+gcs)',
  create: () => withMemoryTier(open('tiered'), { maxSizePerItem: 16 * 1024 }),
  corrupt,
  coherent: false,
});
