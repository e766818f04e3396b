import type { CacheOptions } from '@llmcache/core';

/**
 * A `ContainerClient` of `@azure/storage-blob`, declared by the members every one has rather than as the
 * SDK's class, so that our published types compile without @types/node (the SDK's declarations need it).
 */
export interface AzureContainerClient {
  readonly containerName: string;
  readonly url: string;
  getBlockBlobClient(blobName: string): unknown;
}

/**
 * An `@azure/identity` credential (or anything with `getToken`), declared structurally for the same reason.
 */
export interface AzureTokenCredential {
  getToken(scopes: string | string[], options?: object): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** Where the cache's blobs live and how to reach them. Names match `new Cache({ type: 'azure-blob', … })`'s. */
export interface AzureBlobBackendOptions {
  /**
   * A `ContainerClient` of your own; it is used as is (its credential, pipeline and retry policy) and never
   * closed by us. The connection options below are then not read.
   */
  containerClient?: AzureContainerClient;
  /**
   * Storage account URL, e.g. `https://myaccount.blob.core.windows.net` (a SAS token may ride in its query).
   * Authenticated with `azureAccountKey`, else a SAS in the URL, else `credential`, else `DefaultAzureCredential`.
   */
  azureAccountUrl?: string;
  /** Container holding the blobs; created on first write when missing. Required unless `containerClient` is given. */
  azureBlobContainer?: string;
  /**
   * Connection string (account key, SAS or emulator); wins over `azureAccountUrl`.
   * @default process.env.AZURE_STORAGE_CONNECTION_STRING, when no `azureAccountUrl` is given
   */
  azureConnectionString?: string;
  /**
   * Shared key of the account named by `azureAccountUrl`.
   * @default process.env.AZURE_STORAGE_ACCOUNT_KEY
   */
  azureAccountKey?: string;
  /**
   * Token credential for `azureAccountUrl` when there is no key or SAS, e.g. a `ManagedIdentityCredential`.
   * @default new DefaultAzureCredential() from `@azure/identity`, loaded only then
   */
  credential?: AzureTokenCredential;
  /**
   * Folder every blob goes under (`azurePath/namespace/hash`); empty for the container's root.
   * @default ''
   */
  azurePath?: string;
  /**
   * Longest wait for one request to Azure, in ms; it is then aborted and the operation is a miss (or a lost write).
   * @default 2000
   */
  requestTimeoutMs?: number;
  /**
   * Create the container when a write finds it missing (as LiteLLM does at start-up). Off for a
   * credential that may write blobs but not create containers.
   * @default true
   */
  createContainer?: boolean;
}

/** What the environment says, read by the names Azure's own tools use. */
export function azureOptionsFromEnv(env: Record<string, string | undefined> = process.env): AzureBlobBackendOptions {
  const out: AzureBlobBackendOptions = {};
  if (env.AZURE_STORAGE_CONNECTION_STRING) out.azureConnectionString = env.AZURE_STORAGE_CONNECTION_STRING;
  if (env.AZURE_STORAGE_ACCOUNT_KEY) out.azureAccountKey = env.AZURE_STORAGE_ACCOUNT_KEY;
  return out;
}

/**
 * Explicit options win over the environment; an explicit `azureAccountUrl` also wins over a connection
 * string from the environment, so that what the code names is what it connects to.
 */
export function withAzureEnv(options: AzureBlobBackendOptions, env: Record<string, string | undefined> = process.env): AzureBlobBackendOptions {
  if (options.containerClient) return options;
  const fromEnv = azureOptionsFromEnv(env);
  if (options.azureAccountUrl !== undefined) delete fromEnv.azureConnectionString;
  const merged: AzureBlobBackendOptions = { ...fromEnv };
  for (const [name, value] of Object.entries(options)) if (value !== undefined) (merged as Record<string, unknown>)[name] = value;
  return merged;
}

/** The Azure part of `new Cache({ type: 'azure-blob', … })`'s options. */
export function azureOptionsFromCacheOptions(options: CacheOptions): AzureBlobBackendOptions {
  const { azureAccountUrl, azureBlobContainer, azureConnectionString, azurePath, operationTimeoutMs } = options;
  return { azureAccountUrl, azureBlobContainer, azureConnectionString, azurePath, requestTimeoutMs: operationTimeoutMs };
}
