import type { ContainerClient } from '@azure/storage-blob';
import { CacheConfigError, ObjectStoreBackend } from '@llmcache/core';
import { describeValue } from '@llmcache/core/internal';
import { containerClientOf } from './client';
import { withAzureEnv, type AzureBlobBackendOptions } from './options';
import { AzureBlobStore } from './store';

/**
 * The cache's entries as blobs of one Azure Blob container, `azurePath/namespace/hash`. Expiry, partial
 * blobs, timeouts and batching are `ObjectStoreBackend`'s; this class only connects.
 */
export class AzureBlobBackend extends ObjectStoreBackend {
  /** Throws a `CacheConfigError` naming the option when the options cannot describe a container. */
  constructor(options: AzureBlobBackendOptions = {}) {
    const resolved = withAzureEnv(options);
    super({
      store: new AzureBlobStore(clientOf(resolved), createContainerOf(resolved.createContainer)),
      pkg: 'azure-blob',
      prefix: resolved.azurePath,
      prefixOption: 'azurePath',
      requestTimeoutMs: resolved.requestTimeoutMs,
    });
  }
}

function clientOf(options: AzureBlobBackendOptions): ContainerClient {
  const given = options.containerClient;
  if (given === undefined) return containerClientOf(options);
  if (typeof (given as { getBlockBlobClient?: unknown } | null)?.getBlockBlobClient !== 'function') {
    throw new CacheConfigError('azure-blob', 'containerClient', `must be a ContainerClient of @azure/storage-blob, got ${describeValue(given)}`);
  }
  return given as ContainerClient;
}

function createContainerOf(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new CacheConfigError('azure-blob', 'createContainer', `must be true or false, got ${describeValue(value)}`);
  return value;
}
