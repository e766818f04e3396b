import { runBackendConformance, runDualEntryCheck } from '@llmcache/test-suite';
import { Cache, TieredBackend, type CacheBackend } from '@llmcache/core';
import { AzureBlobBackend } from '@llmcache/azure-blob';
import { startAzurite, type Azurite } from './servers';

const api = { describe, it, beforeAll, afterAll };
const CONTAINER = 'conformance';
let azurite: Azurite;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

runDualEntryCheck(api, '@llmcache/azure-blob');

const remote = () => new AzureBlobBackend({ azureConnectionString: azurite.connectionString, azureBlobContainer: CONTAINER, azurePath: 'llmcache/suite' });

/** Writes half of the stored blob straight to Azure with no metadata, as a foreign or broken writer would. */
async function corrupt(backend: CacheBackend, key: string): Promise<void> {
  const azure = backend instanceof TieredBackend ? (backend.remote as AzureBlobBackend) : (backend as AzureBlobBackend);
  if (backend instanceof TieredBackend) await backend.memory.delete(key);
  const blob = azurite.container(CONTAINER).getBlockBlobClient(azure.objectName(key));
  const whole = (await blob.downloadToBuffer()).toString('utf8');
  const half = Buffer.from(whole.slice(0, Math.floor(whole.length / 2)));
  await blob.upload(half, half.length);
}

runBackendConformance(api, { name: 'azure-blob', create: remote, corrupt });
runBackendConformance(api, {
  name: 'tiered(memory+azure-blob)',
  // The memory tier takes the small entries; the 5 MB ones go to Azure alone.
  create: () =>
    new Cache({
      type: 'azure-blob',
      azureConnectionString: azurite.connectionString,
      azureBlobContainer: CONTAINER,
      azurePath: 'llmcache/tiered',
      maxSizePerItem: 1024,
    }).backend,
  corrupt,
  // A memory tier over Azure hears nothing of other instances (see the README).
  coherent: false,
});
