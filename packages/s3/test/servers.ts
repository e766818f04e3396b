// A real S3 API on 127.0.0.1 for the tests: s3rver (see fixtures/s3rver.js) as a child process on a
// free port, in its own temp dir; killed when the test file ends (or the process exits).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3BackendOptions } from '@llmcache/s3';

/** s3rver's fixed credentials: it refuses a request signed with another access key id (it does not check v4 signatures). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export class S3rverProcess {
  private child: ChildProcess | undefined;
  port = 0;

  constructor(
    readonly dir: string,
    readonly buckets: readonly string[],
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server unless it runs (on the port it had before, after a stop) and waits until it listens. */
  async start(): Promise<void> {
    if (this.running) return;
    const script = join(__dirname, 'fixtures', 's3rver.js');
    const child = spawn(process.execPath, ['--openssl-legacy-provider', script, this.dir, this.buckets.join(','), String(this.port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    children.add(child);
    child.once('exit', () => children.delete(child));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('s3rver did not start within 15 s')), 15_000);
      createInterface({ input: child.stdout }).once('line', (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited with ${code} before it listened`));
      });
    });
    this.port = (JSON.parse(line) as { port: number }).port;
  }

  get running(): boolean {
    return this.child?.exitCode === null && this.child.signalCode === null;
  }

  /** Freezes the process: connections are still accepted (by the kernel) and never answered, as a hung S3. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Kills the server at once, as a crash would, and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A client of the raw SDK on this server, for checks behind the backend's back. */
  client(): S3Client {
    return new S3Client({ endpoint: this.endpoint, region: 'us-east-1', credentials: S3RVER_CREDENTIALS, forcePathStyle: true });
  }

  /** S3Backend options for `bucket` on this server. */
  options(bucket = this.buckets[0]!): S3BackendOptions & { s3BucketName: string; s3EndpointUrl: string } {
    return {
      s3BucketName: bucket,
      s3EndpointUrl: this.endpoint,
      s3RegionName: 'us-east-1',
      s3AwsAccessKeyId: S3RVER_CREDENTIALS.accessKeyId,
      s3AwsSecretAccessKey: S3RVER_CREDENTIALS.secretAccessKey,
    };
  }
}

/** One s3rver, and a raw SDK client on it for checks behind the backend's back, for a whole test file. */
export function useS3rver(): { server: S3rverProcess; raw: S3Client } {
  const env = {} as { server: S3rverProcess; raw: S3Client };
  beforeAll(async () => {
    env.server = await startS3rver();
    env.raw = env.server.client();
  });
  afterAll(async () => {
    env.raw?.destroy();
    await env.server?.close();
  });
  return env;
}

/** A running s3rver with `buckets` created. */
export async function startS3rver(buckets: readonly string[] = ['llmcache-test']): Promise<S3rverProcess> {
  const server = new S3rverProcess(mkdtempSync(join(tmpdir(), 'llmcache-s3rver-')), buckets);
  await server.start();
  return server;
}

/**
 * Writes the first half of an object's body straight through the SDK, keeping or dropping its metadata:
 * what a reader would meet if a store ever exposed an upload cut short.
 */
export async function writeHalf(client: S3Client, bucket: string, name: string, body: string, metadata: Record<string, string> = {}): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body: Buffer.from(body.slice(0, Math.floor(body.length / 2))), Metadata: metadata }));
}
