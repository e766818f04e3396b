// Azurite (the Azure Storage emulator, an npm devDependency) for the tests: blob service only, in memory,
// a child of the test process on a free port of 127.0.0.1, killed when the test file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { exitOf } from '@llmcache/test-suite';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';

/** Azurite's well-known development account (public, the same in every emulator). */
export const ACCOUNT = 'devstoreaccount1';
export const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const AZURITE_BLOB = require.resolve('azurite/dist/src/blob/main.js');

/** A self-signed certificate for 127.0.0.1 (valid until 2126), for azurite over HTTPS. */
export const TLS_CERT = join(__dirname, 'fixtures', 'tls', 'cert.pem');
const TLS_KEY = join(__dirname, 'fixtures', 'tls', 'key.pem');

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class Azurite {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'llmcache-azurite-'));

  /** With `oauth`, azurite serves HTTPS and also accepts Microsoft Entra ID bearer tokens. */
  constructor(
    readonly port: number,
    private readonly oauth = false,
  ) {}

  get accountUrl(): string {
    return `${this.oauth ? 'https' : 'http'}://127.0.0.1:${this.port}/${ACCOUNT}`;
  }

  get connectionString(): string {
    return `DefaultEndpointsProtocol=${this.oauth ? 'https' : 'http'};AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${this.accountUrl};`;
  }

  /** A client of our own, to look at or damage blobs behind the backend's back. */
  container(name: string): ContainerClient {
    return new ContainerClient(this.connectionString, name);
  }

  /** Starts the emulator (unless it runs) and resolves once it listens. */
  async start(): Promise<void> {
    if (this.child?.exitCode === null && this.child.signalCode === null) return;
    const args = ['--blobHost', '127.0.0.1', '--blobPort', String(this.port), '--inMemoryPersistence'];
    args.push('--skipApiVersionCheck', '--loose', '--disableTelemetry', '--silent');
    if (this.oauth) args.push('--cert', TLS_CERT, '--key', TLS_KEY, '--oauth', 'basic');
    // In its own folder: whatever it may write beside the in-memory store stays out of the repository.
    const child = spawn(process.execPath, [AZURITE_BLOB, ...args], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    children.add(child);
    child.once('exit', () => children.delete(child));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`azurite did not listen on ${this.port} within 15 s:\n${output}`)), 15_000);
      const onData = (chunk: Buffer) => {
        output += String(chunk);
        if (output.includes('successfully listens')) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (chunk: Buffer) => (output += String(chunk)));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`azurite exited with ${code}:\n${output}`));
      });
    });
    child.stdout.resume();
  }

  /** Kills the emulator at once, as a crash would; its in-memory blobs are gone with it. */
  async stop(): Promise<void> {
    if (this.child?.exitCode !== null || this.child.signalCode !== null) return;
    const exited = exitOf(this.child);
    this.child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startAzurite(options: { oauth?: boolean } = {}): Promise<Azurite> {
  const azurite = new Azurite(await freePort(), options.oauth);
  await azurite.start();
  return azurite;
}

/** An azurite and a test upstream for the whole file; the upstream's record is emptied after each test. */
export function useAzuriteAndUpstream(): { azurite: Azurite; upstream: Upstream } {
  const env = {} as { azurite: Azurite; upstream: Upstream };
  beforeAll(async () => {
    [env.azurite, env.upstream] = await Promise.all([startAzurite(), startUpstream()]);
  });
  afterEach(() => env.upstream.reset());
  afterAll(async () => {
    await Promise.all([env.azurite?.close(), env.upstream?.close()]);
  });
  return env;
}

/** A server that accepts connections and never answers: the slowest Azure there is. */
export async function startHangingServer(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/${ACCOUNT}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
