import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A router in its own Node process, driven over stdin/stdout (see fixtures/router-worker.js). */
export interface Worker {
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
  readonly child: ChildProcess;
}

export interface WorkerOptions {
  /** A wall clock this many ms off the host's (fixtures/skewed-clock.js), as on a host whose clock drifted. */
  clockSkewMs?: number;
}

export async function startWorker(config: Record<string, unknown>, options: WorkerOptions = {}): Promise<Worker> {
  const preload = options.clockSkewMs ? ['--require', join(__dirname, 'fixtures', 'skewed-clock.js')] : [];
  const child = spawn(process.execPath, [...preload, join(__dirname, 'fixtures', 'router-worker.js'), JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CLOCK_SKEW_MS: String(options.clockSkewMs ?? 0) },
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { ready?: boolean; id: number; result?: unknown; error?: string };
    if (message.ready) return ready();
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`worker exited with ${code}`));
  });
  await Promise.race([isReady, exited.then(() => Promise.reject(new Error('worker exited before it was ready')))]);
  const call = <T>(op: string, args?: Record<string, unknown>) => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve, reject });
      child.stdin.write(JSON.stringify({ id, op, args }) + '\n');
    });
  };
  return {
    child,
    call,
    async close() {
      if (child.exitCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await Promise.race([call('close').catch(() => undefined), exited]);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `n` workers with the same config. */
export function startWorkers(n: number, config: Record<string, unknown>): Promise<Worker[]> {
  return Promise.all(Array.from({ length: n }, () => startWorker(config)));
}
