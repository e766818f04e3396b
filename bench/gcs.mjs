// The GCS case of bench/object-stores.mjs: the tests' GCS JSON API server (no GCS emulator can be
// installed here) in a process of its own on a free 127.0.0.1 port, and a raw @google-cloud/storage
// client of its own on the same endpoint.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Storage } from '@google-cloud/storage';

const BUCKET = 'llmcache-bench';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Resolves with the server's URL once it listens; the server is TypeScript, run through ts-node. */
async function startGcsServer() {
  const script = `require('./packages/gcs/test/gcs-server.ts').startGcsServer({ buckets: [${JSON.stringify(BUCKET)}] }).then((s) => console.log(s.url));`;
  const child = spawn(process.execPath, ['-r', 'ts-node/register', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_COMPILER_OPTIONS: '{"module":"commonjs","moduleResolution":"node"}' },
  });
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench: the GCS test server exited with ${code}`)));
  });
  return { child, url };
}

/** @type {import('./object-stores.mjs').ObjectStoreCase} */
export const gcsStore = {
  name: 'gcs',
  async start() {
    const { child, url } = await startGcsServer();
    const bucket = new Storage({ apiEndpoint: url }).bucket(BUCKET);
    return {
      cacheOptions: { gcsBucketName: BUCKET, gcsApiEndpoint: url },
      async rawRead(name) {
        const [bytes] = await bucket.file(name).download();
        return bytes.toString('utf8');
      },
      async rawWrite(name, body) {
        await bucket.file(name).save(Buffer.from(body, 'utf8'), { resumable: false });
      },
      async stop() {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      },
    };
  },
};
