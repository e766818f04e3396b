import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
} from '@azure/storage-blob';
import { Cache, CacheConfigError, TieredBackend } from '@llmcache/core';
import { AzureBlobBackend, azureOptionsFromEnv } from '@llmcache/azure-blob';
import { thrown } from '@llmcache/test-suite';
import { ACCOUNT, ACCOUNT_KEY, startAzurite, type Azurite } from './servers';

let azurite: Azurite;
const ENV_NAMES = ['AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_ACCOUNT_KEY'] as const;
const savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));

beforeAll(async () => {
  azurite = await startAzurite();
});
afterEach(() => {
  for (const name of ENV_NAMES) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});
afterAll(async () => {
  await azurite?.close();
});

/** Writes through the backend and reads the blob back with a client of our own: it really went to azurite. */
async function roundTrip(backend: AzureBlobBackend, container: string): Promise<string | undefined> {
  try {
    const key = `k${Math.random().toString(36).slice(2)}`;
    await backend.set(key, 'stored', null);
    expect(await backend.get(key)).toBe('stored');
    return (await azurite.container(container).getBlockBlobClient(backend.objectName(key)).downloadToBuffer()).toString();
  } finally {
    await backend.close();
  }
}

function configError(fn: () => unknown): CacheConfigError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(CacheConfigError);
  return err as CacheConfigError;
}

describe('connecting', () => {
  it('with a connection string, creating the container on the first write', async () => {
    expect(
      await roundTrip(
        new AzureBlobBackend({ azureConnectionString: azurite.connectionString, azureBlobContainer: 'by-connection-string' }),
        'by-connection-string',
      ),
    ).toBe('stored');
  });

  it('with an account URL and a shared key, from the option or AZURE_STORAGE_ACCOUNT_KEY', async () => {
    expect(
      await roundTrip(new AzureBlobBackend({ azureAccountUrl: azurite.accountUrl, azureAccountKey: ACCOUNT_KEY, azureBlobContainer: 'by-key' }), 'by-key'),
    ).toBe('stored');
    process.env.AZURE_STORAGE_ACCOUNT_KEY = ACCOUNT_KEY;
    expect(await roundTrip(new AzureBlobBackend({ azureAccountUrl: azurite.accountUrl, azureBlobContainer: 'by-env-key' }), 'by-env-key')).toBe('stored');
  });

  it('with a SAS token in the account URL', async () => {
    const sas = generateAccountSASQueryParameters(
      {
        expiresOn: new Date(Date.now() + 3_600_000),
        permissions: AccountSASPermissions.parse('rwdlc'),
        resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
        services: AccountSASServices.parse('b').toString(),
      },
      new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY),
    ).toString();
    expect(await roundTrip(new AzureBlobBackend({ azureAccountUrl: `${azurite.accountUrl}?${sas}`, azureBlobContainer: 'by-sas' }), 'by-sas')).toBe('stored');
  });

  it('with AZURE_STORAGE_CONNECTION_STRING alone; an explicit account URL wins over it', async () => {
    process.env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
    expect(await roundTrip(new AzureBlobBackend({ azureBlobContainer: 'by-env-connection-string' }), 'by-env-connection-string')).toBe('stored');
    // Were the environment's connection string used, this would reach azurite; the named URL is used instead.
    const named = new AzureBlobBackend({
      azureAccountUrl: 'http://127.0.0.1:9/devstoreaccount1',
      azureAccountKey: ACCOUNT_KEY,
      azureBlobContainer: 'elsewhere',
      requestTimeoutMs: 1000,
    });
    expect(await named.ping()).toBe(false);
    await named.close();
  });

  it('with a ContainerClient of your own, used as is and left open by close()', async () => {
    const client = azurite.container('own-client');
    await client.createIfNotExists();
    const backend = new AzureBlobBackend({ containerClient: client, azurePath: 'mine' });
    expect(await roundTrip(backend, 'own-client')).toBe('stored');
    // After close(), the caller's client still works.
    expect(await client.exists()).toBe(true);
  });

  it("new Cache({ type: 'azure-blob' }) (or 'azure_blob') puts a memory tier in front; memoryTier: false leaves it out", async () => {
    const options = { azureConnectionString: azurite.connectionString, azureBlobContainer: 'cache-type' };
    const tiered = new Cache({ type: 'azure-blob', ...options });
    const alias = new Cache({ type: 'azure_blob', ...options });
    const plain = new Cache({ type: 'azure-blob', ...options, memoryTier: false });
    expect(tiered.backend).toBeInstanceOf(TieredBackend);
    expect((tiered.backend as TieredBackend).remote).toBeInstanceOf(AzureBlobBackend);
    expect(alias.backend).toBeInstanceOf(TieredBackend);
    expect(plain.backend).toBeInstanceOf(AzureBlobBackend);
    await tiered.set('shared', 'through the tier');
    expect((await plain.get('shared'))?.value).toBe('through the tier');
    expect(await Promise.all([tiered.ping(), alias.ping(), plain.ping()])).toEqual([true, true, true]);
    await Promise.all([tiered.close(), alias.close(), plain.close()]);
  });

  it('ping creates a missing container, or answers false when createContainer is off', async () => {
    const off = new AzureBlobBackend({ azureConnectionString: azurite.connectionString, azureBlobContainer: 'never-created', createContainer: false });
    expect(await off.ping()).toBe(false);
    // Reading or deleting in a container that does not exist is a miss and a no-op, not an error.
    expect(await off.get('k')).toBeUndefined();
    await expect(off.delete('k')).resolves.toBeUndefined();
    const cache = new Cache({ backend: off });
    const errors: Error[] = [];
    cache.on('error', (err) => errors.push(err));
    expect(await cache.set('k', 'v')).toBe(false);
    expect(errors.map((e) => e.message).join()).toMatch(/ContainerNotFound|container does not exist/i);
    expect(await azurite.container('never-created').exists()).toBe(false);
    await cache.close();

    const on = new AzureBlobBackend({ azureConnectionString: azurite.connectionString, azureBlobContainer: 'made-by-ping' });
    expect(await on.ping()).toBe(true);
    expect(await azurite.container('made-by-ping').exists()).toBe(true);
    await on.close();
  });
});

describe('bad options are a CacheConfigError naming the option', () => {
  const good = () => ({ azureConnectionString: azurite.connectionString, azureBlobContainer: 'fine' });

  it('in the backend', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ azureConnectionString: azurite.connectionString }, 'azureBlobContainer', /is required/],
      [{ ...good(), azureBlobContainer: 'Upper_Case' }, 'azureBlobContainer', /lowercase/],
      [{ ...good(), azureBlobContainer: 'ab' }, 'azureBlobContainer', /3-63/],
      [{ ...good(), azureBlobContainer: 'a--b' }, 'azureBlobContainer', /single hyphens/],
      [{ azureBlobContainer: 'fine' }, 'azureAccountUrl', /is required \(or azureConnectionString/],
      [{ azureBlobContainer: 'fine', azureAccountUrl: 'not a url' }, 'azureAccountUrl', /http\(s\) URL/],
      [{ azureBlobContainer: 'fine', azureAccountUrl: 'ftp://x.blob.core.windows.net' }, 'azureAccountUrl', /http\(s\) URL/],
      [{ azureBlobContainer: 'fine', azureAccountUrl: 'http://127.0.0.1:10000', azureAccountKey: ACCOUNT_KEY }, 'azureAccountUrl', /names no storage account/],
      [{ ...good(), azureConnectionString: 'AccountName=x;nonsense' }, 'azureConnectionString', /not a valid/],
      [{ ...good(), azureConnectionString: '' }, 'azureConnectionString', /non-empty/],
      [{ ...good(), azurePath: '../outside' }, 'azurePath', /segments/],
      [{ ...good(), azurePath: '/abs' }, 'azurePath', /relative/],
      [{ ...good(), requestTimeoutMs: 0 }, 'requestTimeoutMs', /positive/],
      [{ ...good(), createContainer: 'yes' }, 'createContainer', /true or false/],
      [{ containerClient: {} }, 'containerClient', /ContainerClient/],
    ];
    for (const [options, option, message] of cases) {
      const err = configError(() => new AzureBlobBackend(options));
      expect({ options, option: err.option }).toEqual({ options, option });
      expect(err.message).toMatch(/^\[llmcache\]\[azure-blob\] /);
      expect(err.message).toMatch(message);
    }
  });

  it('never echoes a connection string (it holds the key), and keeps the SDK error as cause', () => {
    const secret = 'AccountName=x;AccountKey=c2VjcmV0;nonsense';
    const err = configError(() => new AzureBlobBackend({ azureConnectionString: secret, azureBlobContainer: 'fine' }));
    expect(err.message).not.toContain('c2VjcmV0');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it("in new Cache({ type: 'azure-blob' }), before any package code runs for mistyped values", () => {
    for (const [options, option] of [
      [{ azureAccountUrl: 42 }, 'azureAccountUrl'],
      [{ azureBlobContainer: '' }, 'azureBlobContainer'],
      [{ azureConnectionString: ['x'] }, 'azureConnectionString'],
      [{ azurePath: 7 }, 'azurePath'],
      [{ azure_blob_container: 'c' }, 'azure_blob_container'],
    ] as const) {
      const err = configError(() => new Cache({ type: 'azure-blob', ...(options as object) }));
      expect(err.option).toBe(option);
    }
    expect(configError(() => new Cache({ type: 'azure-blob', azureConnectionString: azurite.connectionString })).option).toBe('azureBlobContainer');
    expect(configError(() => new Cache({ type: 'azure-blob', ...good(), azurePath: 'a/../b' })).option).toBe('azurePath');
  });
});

describe('azureOptionsFromEnv', () => {
  it('reads AZURE_STORAGE_CONNECTION_STRING and AZURE_STORAGE_ACCOUNT_KEY, and nothing empty', () => {
    expect(azureOptionsFromEnv({ AZURE_STORAGE_CONNECTION_STRING: 'cs', AZURE_STORAGE_ACCOUNT_KEY: 'key', OTHER: 'x' })).toEqual({
      azureConnectionString: 'cs',
      azureAccountKey: 'key',
    });
    expect(azureOptionsFromEnv({ AZURE_STORAGE_CONNECTION_STRING: '' })).toEqual({});
  });
});
