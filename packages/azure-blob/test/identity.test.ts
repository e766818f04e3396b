import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { get } from 'node:https';
import { exitWithin, nodeProcess } from '@llmcache/test-suite';
import { ACCOUNT_KEY, TLS_CERT, startAzurite, type Azurite } from './servers';

const PACKAGE = require.resolve('@llmcache/azure-blob');
const CORE = require.resolve('@llmcache/core');

/** Runs `body` in a fresh Node process (optionally one where @azure/identity cannot be found) and returns its JSON lines. */
function inFreshProcess(body: string, options: { withoutIdentity?: boolean } = {}): unknown[] {
  const script = `
    ${
      options.withoutIdentity
        ? `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request === '@azure/identity') {
        const err = new Error("Cannot find module '@azure/identity'");
        err.code = 'MODULE_NOT_FOUND';
        throw err;
      }
      return resolve.call(this, request, ...rest);
    };`
        : ''
    }
    const { Cache } = require(${JSON.stringify(CORE)});
    const azure = require(${JSON.stringify(PACKAGE)});
    const identityLoaded = () => Object.keys(require.cache).some((file) => file.includes('@azure/identity'));
    const out = (value) => console.log(JSON.stringify(value));
    (async () => { ${body} })().catch((err) => { console.log('UNCAUGHT', err); process.exitCode = 1; });
  `;
  const env = { ...process.env };
  delete env.AZURE_STORAGE_CONNECTION_STRING;
  delete env.AZURE_STORAGE_ACCOUNT_KEY;
  const text = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env }).trim();
  return text.split('\n').map((line) => JSON.parse(line));
}

describe('@azure/identity, an optional peer', () => {
  it('is declared as an optional peer, not a dependency', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(manifest.peerDependencies['@azure/identity']).toEqual(expect.any(String));
    expect(manifest.peerDependenciesMeta['@azure/identity']).toEqual({ optional: true });
    expect(manifest.dependencies['@azure/identity']).toBeUndefined();
  });

  it('is loaded only for an account URL with no key, SAS or credential of its own', () => {
    const [withKeys, withUrlOnly] = inFreshProcess(`
      const container = { azureBlobContainer: 'cache' };
      new Cache({ type: 'azure-blob', ...container, azureConnectionString: 'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=${ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:9/a;' });
      new azure.AzureBlobBackend({ ...container, azureAccountUrl: 'https://a.blob.core.windows.net', azureAccountKey: '${ACCOUNT_KEY}' });
      new azure.AzureBlobBackend({ ...container, azureAccountUrl: 'https://a.blob.core.windows.net?sv=2022-11-02&sig=abc' });
      new azure.AzureBlobBackend({ ...container, azureAccountUrl: 'https://a.blob.core.windows.net', credential: { getToken: async () => null } });
      out(identityLoaded());
      new Cache({ type: 'azure-blob', ...container, azureAccountUrl: 'https://a.blob.core.windows.net' });
      out(identityLoaded());
    `);
    expect([withKeys, withUrlOnly]).toEqual([false, true]);
  });

  it('when missing, an account URL without a key is a CacheConfigError saying what to install; keys still work', () => {
    const [error, works] = inFreshProcess(
      `
      try {
        new Cache({ type: 'azure-blob', azureBlobContainer: 'cache', azureAccountUrl: 'https://a.blob.core.windows.net' });
        out('no error');
      } catch (err) {
        out({ name: err.name, option: err.option, message: err.message });
      }
      new azure.AzureBlobBackend({ azureBlobContainer: 'cache', azureAccountUrl: 'https://a.blob.core.windows.net', azureAccountKey: '${ACCOUNT_KEY}' });
      out('key works');
    `,
      { withoutIdentity: true },
    );
    expect(error).toEqual({
      name: 'CacheConfigError',
      option: 'azureAccountUrl',
      message: expect.stringContaining('needs the package @azure/identity: npm install @azure/identity'),
    });
    expect(works).toBe('key works');
  });
});

describe('DefaultAzureCredential, as LiteLLM signs in with azure_account_url alone', () => {
  let azurite: Azurite;
  let dir: string;

  beforeAll(async () => {
    azurite = await startAzurite({ oauth: true });
    dir = mkdtempSync(join(tmpdir(), 'llmcache-az-'));
  });
  afterAll(async () => {
    await azurite?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets a token for Azure Storage from the Azure CLI and reads and writes with it', async () => {
    const log = join(dir, 'az.log');
    const child = nodeProcess(
      `
      const { Cache } = require(${JSON.stringify(CORE)});
      (async () => {
        const cache = new Cache({ type: 'azure-blob', azureAccountUrl: ${JSON.stringify(azurite.accountUrl)}, azureBlobContainer: 'entra', memoryTier: false });
        const errors = [];
        cache.on('error', (err) => errors.push(err.message));
        const stored = await cache.set('k', { signedIn: true });
        const hit = await cache.get('k');
        console.log(JSON.stringify({ stored, value: hit && hit.value, errors }));
        await cache.close();
      })();
    `,
      {
        // Only the CLI credential: nothing in the chain reaches for a real identity endpoint.
        AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
        PATH: [join(__dirname, 'fixtures', 'bin'), dirname(process.execPath), process.env.PATH].join(delimiter),
        NODE_EXTRA_CA_CERTS: TLS_CERT,
        FAKE_AZ_LOG: log,
        AZURE_STORAGE_CONNECTION_STRING: '',
        AZURE_STORAGE_ACCOUNT_KEY: '',
      },
    );
    const exit = await exitWithin(child, 30_000);
    expect({ code: exit.code, stderr: exit.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(exit.stdout)).toEqual({ stored: true, value: { signedIn: true }, errors: [] });
    expect(readFileSync(log, 'utf8')).toMatch(/^account get-access-token --output json --resource https:\/\/storage\.azure\.com/m);
    // The same blob refuses a request without the token: the bearer token is what let it in.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      get(`${azurite.accountUrl}/entra/k`, { ca: readFileSync(TLS_CERT) }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject),
    );
    expect([401, 403, 404]).toContain(status);
  }, 60_000);
});
