import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient, type newPipeline, type StoragePipelineOptions } from '@azure/storage-blob';
import { CacheConfigError } from '@llmcache/core';
import { nonEmptyString, requireOption } from '@llmcache/core/internal';
import type { AzureBlobBackendOptions } from './options';

/** What the SDK accepts as a credential; its `TokenCredential` comes from a package we do not depend on directly. */
type Credential = Parameters<typeof newPipeline>[0];

const PKG = 'azure-blob';
const IDENTITY = '@azure/identity';

/**
 * One quick retry, not the SDK's four tries spaced seconds apart: a cache request has `requestTimeoutMs`
 * to finish, and a miss costs less than waiting.
 */
const PIPELINE: StoragePipelineOptions = { retryOptions: { maxTries: 2, retryDelayInMs: 50, maxRetryDelayInMs: 200 } };

/**
 * Azure's rules for container names: 3 to 63 lowercase letters, digits and single hyphens, starting and
 * ending with a letter or digit (or the special `$root`).
 */
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/** Builds the `ContainerClient` the options describe (connection string, account URL + key, SAS or token). */
export function containerClientOf(options: AzureBlobBackendOptions): ContainerClient {
  const container = requireOption(PKG, 'azureBlobContainer', options.azureBlobContainer, 'the container that holds the cache');
  if (typeof container !== 'string' || (!CONTAINER_NAME.test(container) && container !== '$root')) {
    throw new CacheConfigError(PKG, 'azureBlobContainer', `must be 3-63 lowercase letters, digits and single hyphens, got ${JSON.stringify(container)}`);
  }
  return serviceClientOf(options).getContainerClient(container);
}

function serviceClientOf(options: AzureBlobBackendOptions): BlobServiceClient {
  if (options.azureConnectionString !== undefined) {
    const connectionString = nonEmptyString(PKG, 'azureConnectionString', options.azureConnectionString);
    try {
      return BlobServiceClient.fromConnectionString(connectionString, PIPELINE);
    } catch (err) {
      // Never the string itself in the message: it holds the key.
      const reason = String((err as Error).message)
        .split(connectionString)
        .join('<connection string>');
      throw new CacheConfigError(PKG, 'azureConnectionString', `is not a valid Azure Storage connection string (${reason})`, { cause: err });
    }
  }
  const accountUrl = requireOption(
    PKG,
    'azureAccountUrl',
    options.azureAccountUrl,
    'or azureConnectionString, or AZURE_STORAGE_CONNECTION_STRING in the environment',
  );
  const url = parseAccountUrl(accountUrl);
  if (options.azureAccountKey !== undefined) {
    const key = nonEmptyString(PKG, 'azureAccountKey', options.azureAccountKey);
    return new BlobServiceClient(accountUrl, new StorageSharedKeyCredential(accountNameOf(url), key), PIPELINE);
  }
  if (url.searchParams.has('sig')) return new BlobServiceClient(accountUrl, undefined, PIPELINE); // SAS in the URL
  return new BlobServiceClient(accountUrl, options.credential ?? defaultAzureCredential(), PIPELINE);
}

function parseAccountUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(nonEmptyString(PKG, 'azureAccountUrl', text));
  } catch (err) {
    if (err instanceof CacheConfigError) throw err;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new CacheConfigError(PKG, 'azureAccountUrl', `must be an http(s) URL such as https://myaccount.blob.core.windows.net, got ${JSON.stringify(text)}`);
  }
  return url;
}

/**
 * The account a shared key signs for: the first label of `myaccount.blob.core.windows.net`, or the first
 * path segment of an emulator or IP-style URL (`http://127.0.0.1:10000/devstoreaccount1`).
 */
function accountNameOf(url: URL): string {
  const ipStyle = url.port !== '' || url.hostname === 'localhost' || /^[\d.]+$|^\[/.test(url.hostname);
  const name = ipStyle ? url.pathname.split('/')[1] : url.hostname.split('.')[0];
  if (!name) throw new CacheConfigError(PKG, 'azureAccountUrl', `names no storage account, got ${JSON.stringify(url.href)}`);
  return name;
}

/**
 * `DefaultAzureCredential` (environment, workload identity, managed identity, Azure CLI, …), as LiteLLM
 * uses. `@azure/identity` is an optional peer, loaded only here: key and connection-string users never
 * need it.
 */
function defaultAzureCredential(): Credential {
  let identity: { DefaultAzureCredential: new () => Credential };
  try {
    // Synchronous on purpose: backends are built in `new Cache()`, which is synchronous. The build is
    // CommonJS (the ESM entry wraps it), so `require` is there.
    identity = require(IDENTITY) as typeof identity;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(IDENTITY)) {
      throw new CacheConfigError(
        PKG,
        'azureAccountUrl',
        `without azureAccountKey or a SAS, signing in with DefaultAzureCredential needs the package ${IDENTITY}: npm install ${IDENTITY}`,
        { cause: err },
      );
    }
    throw err;
  }
  try {
    return new identity.DefaultAzureCredential();
  } catch (err) {
    // e.g. AZURE_TOKEN_CREDENTIALS names no credential it knows
    throw new CacheConfigError(PKG, 'credential', `DefaultAzureCredential could not be set up: ${(err as Error).message}`, { cause: err });
  }
}
