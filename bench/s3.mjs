// The S3 case of bench/object-stores.mjs: s3rver on a free 127.0.0.1 port (the tests' start script),
// and a raw @aws-sdk/client-s3 client of its own, configured as ours is (path-style, same endpoint).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const BUCKET = 'llmcache-bench';
const START_SCRIPT = fileURLToPath(new URL('../packages/s3/test/fixtures/s3rver.js', import.meta.url));

/** Resolves with s3rver's port once it listens. */
async function startS3rver(dir) {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', START_SCRIPT, dir, BUCKET, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench: s3rver exited with ${code}; is it installed (npm ci)?`)));
  });
  return { child, port: JSON.parse(line).port };
}

/** @type {import('./object-stores.mjs').ObjectStoreCase} */
export const s3Store = {
  name: 's3',
  async start() {
    const dir = mkdtempSync(join(tmpdir(), 'llmcache-bench-s3-'));
    const { child, port } = await startS3rver(dir);
    const endpoint = `http://127.0.0.1:${port}`;
    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    const client = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    return {
      cacheOptions: {
        s3BucketName: BUCKET,
        s3EndpointUrl: endpoint,
        s3RegionName: 'us-east-1',
        s3AwsAccessKeyId: credentials.accessKeyId,
        s3AwsSecretAccessKey: credentials.secretAccessKey,
      },
      async rawRead(name) {
        const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: name }));
        return res.Body.transformToString('utf-8');
      },
      async rawWrite(name, body) {
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: name, Body: Buffer.from(body, 'utf8') }));
      },
      async stop() {
        client.destroy();
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
