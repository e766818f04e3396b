// The Azure Blob case of bench/object-stores.mjs: azurite (blob service, in memory) in its own process on a
// free 127.0.0.1 port, and a raw @azure/storage-blob ContainerClient of its own on the same account.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { ContainerClient } from '@azure/storage-blob';

const CONTAINER = 'llmcache-bench';
// Azurite's well-known development account.
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const AZURITE_BLOB = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with the azurite process once it listens on `port`. */
async function startAzurite(port) {
  const args = [
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--inMemoryPersistence',
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    '--silent',
  ];
  const child = spawn(process.execPath, [AZURITE_BLOB, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('successfully listens')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`bench: azurite exited with ${code}; is it installed (npm ci)?`)));
  });
  child.stdout.resume();
  return child;
}

/** @type {import('./object-stores.mjs').ObjectStoreCase} */
export const azureBlobStore = {
  name: 'azure-blob',
  async start() {
    const port = await freePort();
    const child = await startAzurite(port);
    const azureConnectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`;
    const container = new ContainerClient(azureConnectionString, CONTAINER);
    await container.create();
    return {
      cacheOptions: { azureConnectionString, azureBlobContainer: CONTAINER },
      // One Get Blob, as a hit needs: the body and the metadata in one answer.
      async rawRead(name) {
        const res = await container.getBlockBlobClient(name).download();
        const chunks = [];
        for await (const chunk of res.readableStreamBody) chunks.push(chunk);
        return Buffer.concat(chunks).toString('utf8');
      },
      otherRawReads: {
        // The SDK's convenience read: Get Blob Properties for the size, then the ranged download(s).
        downloadToBuffer: async (name) => (await container.getBlockBlobClient(name).downloadToBuffer()).toString('utf8'),
      },
      async rawWrite(name, body) {
        const data = Buffer.from(body, 'utf8');
        await container.getBlockBlobClient(name).upload(data, data.length);
      },
      async stop() {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      },
    };
  },
};
