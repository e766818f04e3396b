// Real redis-server processes on 127.0.0.1 for the tests: standalone, a 3-master cluster, and a
// master + replica + sentinel. Each is a child of the test process on free ports, in its own temp dir,
// and is killed when the test file ends (or the process exits).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';

const run = promisify(execFile);

/** Whether `redis-server` is on the PATH. */
export const redisInstalled = spawnSync('redis-server', ['--version']).status === 0;

/**
 * `describe`, or `describe.skip` when Redis is not installed; with CI=true a missing Redis fails
 * instead of skipping.
 */
export const describeRedis: jest.Describe = redisInstalled || process.env.CI ? describe : describe.skip;
if (!redisInstalled && process.env.CI) {
  throw new Error('redis-server is not on the PATH: install it (apt-get install -y redis-server); with CI=true Redis tests never skip');
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) return port;
  }
}

/** Sends one inline command over a raw socket and returns the reply text (enough for PING and INFO). */
export function rawCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${command} on ${port}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const bulk = /^\$(\d+)\r\n/.exec(data);
      if (!bulk || data.length >= bulk[0].length + Number(bulk[1]) + 2) {
        clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export class RedisServer {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (unless it runs) and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.child?.exitCode === null && this.child.signalCode === null) return;
    const child = spawn('redis-server', this.args, { cwd: this.dir, stdio: 'ignore' });
    this.child = child;
    children.add(child);
    child.once('exit', () => children.delete(child));
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        // A server with --requirepass answers NOAUTH: up all the same.
        if (/^(\+PONG|-NOAUTH)/.test(await rawCommand(this.port, 'PING', 200))) return;
      } catch {
        // not up yet
      }
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not answer PING within 10 s`);
      await sleep(20);
    }
  }

  /** Kills the server at once (as a crash would) and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child?.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Runs a redis-cli command against this server. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args]);
    return stdout.trim();
  }
}

function serverArgs(port: number, dir: string, extra: string[] = []): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
}

/** One standalone server; `extra` are more redis-server arguments (e.g. `--requirepass`, `secret`). */
export async function startStandalone(extra: string[] = []): Promise<RedisServer & { close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'llmcache-redis-'));
  const port = await freePort();
  const server = new RedisServer(port, dir, serverArgs(port, dir, extra));
  await server.start();
  return Object.assign(server, {
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export interface RedisCluster {
  nodes: RedisServer[];
  startupNodes: { host: string; port: number }[];
  close(): Promise<void>;
}

/** Three masters, no replicas, made with `redis-cli --cluster create`; resolves once `cluster_state:ok`. */
export async function startCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'llmcache-redis-cluster-'));
    dirs.push(dir);
    const port = await freePort();
    nodes.push(
      new RedisServer(
        port,
        dir,
        serverArgs(port, dir, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '2000',
          '--cluster-announce-ip',
          '127.0.0.1',
        ]),
      ),
    );
  }
  await Promise.all(nodes.map((n) => n.start()));
  await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const states = await Promise.all(nodes.map((n) => n.cli('cluster', 'info')));
    if (states.every((s) => s.includes('cluster_state:ok'))) break;
    if (Date.now() > deadline) throw new Error('the cluster did not reach cluster_state:ok within 20 s');
    await sleep(100);
  }
  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    async close() {
      await Promise.all(nodes.map((n) => n.stop()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisSentinelSet {
  master: RedisServer;
  replica: RedisServer;
  sentinel: RedisServer;
  serviceName: string;
  sentinels: { host: string; port: number }[];
  /** Asks the sentinel to fail over and waits until it names the other server as master. */
  failover(): Promise<number>;
  /** The port the sentinel names as master now. */
  masterPort(): Promise<number>;
  close(): Promise<void>;
}

/** A master, a replica of it, and a sentinel watching them (quorum 1). */
export async function startSentinel(): Promise<RedisSentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'llmcache-redis-sentinel-'));
  const serviceName = 'mymaster';
  const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const master = new RedisServer(masterPort, dir, serverArgs(masterPort, dir, ['--dbfilename', 'master.rdb']));
  const replica = new RedisServer(
    replicaPort,
    dir,
    serverArgs(replicaPort, dir, ['--dbfilename', 'replica.rdb', '--replicaof', '127.0.0.1', String(masterPort)]),
  );
  await master.start();
  await replica.start();
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${serviceName} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${serviceName} 1000`,
      `sentinel failover-timeout ${serviceName} 5000`,
    ].join('\n') + '\n',
  );
  const sentinel = new RedisServer(sentinelPort, dir, [config, '--sentinel']);
  await sentinel.start();
  const masterPortNow = async () => {
    const reply = await sentinel.cli('sentinel', 'get-master-addr-by-name', serviceName);
    return Number(reply.split('\n')[1]);
  };
  // The replica must have synced and the sentinel must know it before a failover can pick it.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const info = await master.cli('info', 'replication');
    const replicas = await sentinel.cli('sentinel', 'replicas', serviceName).catch(() => '');
    if (/slave0:.*state=online/.test(info) && replicas.includes(String(replicaPort))) break;
    if (Date.now() > deadline) throw new Error('the sentinel set-up did not settle within 20 s');
    await sleep(100);
  }
  return {
    master,
    replica,
    sentinel,
    serviceName,
    sentinels: [{ host: '127.0.0.1', port: sentinelPort }],
    masterPort: masterPortNow,
    async failover() {
      const before = await masterPortNow();
      await sentinel.cli('sentinel', 'failover', serviceName);
      const until = Date.now() + 15_000;
      for (;;) {
        const now = await masterPortNow();
        if (now !== before) return now;
        if (Date.now() > until) throw new Error('the sentinel did not fail over within 15 s');
        await sleep(50);
      }
    },
    async close() {
      await Promise.all([sentinel.stop(), replica.stop(), master.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One standalone Redis and one test upstream for a whole test file: the upstream is reset after each
 * test, and whatever was given to `closeAfterEach` (router workers, routers) is closed then.
 */
export function useRedisAndUpstream(): {
  env: { server: RedisServer & { close(): Promise<void> }; upstream: Upstream };
  closeAfterEach: <T extends { close(): Promise<unknown> }>(things: T[]) => T[];
} {
  const env = {} as { server: RedisServer & { close(): Promise<void> }; upstream: Upstream };
  const closing: { close(): Promise<unknown> }[] = [];
  beforeAll(async () => {
    [env.server, env.upstream] = await Promise.all([startStandalone(), startUpstream()]);
  });
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((thing) => thing.close()));
    env.upstream.reset();
  });
  afterAll(async () => {
    await env.upstream?.close();
    await env.server?.close();
  });
  return {
    env,
    closeAfterEach: (things) => {
      closing.push(...things);
      return things;
    },
  };
}
