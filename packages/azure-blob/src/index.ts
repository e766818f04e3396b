import { withMemoryTier, type CacheBackend, type CacheOptions } from '@llmcache/core';
import { AzureBlobBackend } from './backend';
import { azureOptionsFromCacheOptions } from './options';

export { AzureBlobBackend } from './backend';
export { azureOptionsFromEnv } from './options';
export type { AzureBlobBackendOptions, AzureContainerClient, AzureTokenCredential } from './options';

/**
 * Used by `new Cache({ type: 'azure-blob', … })` (also `azure_blob`): the container behind a bounded
 * memory tier, or alone with `memoryTier: false`.
 */
export function createCacheBackend(options: CacheOptions): CacheBackend {
  return withMemoryTier(new AzureBlobBackend(azureOptionsFromCacheOptions(options)), options);
}
