import { spawn, type ChildProcess } from 'node:child_process';

/** A separate Node process running `script` against the built packages, as another application would. */
export function nodeProcess(script: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Resolves when `child` exits, with what it printed. */
export function exitOf(child: ChildProcess): Promise<Exit> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += String(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Resolves once `child` has printed `line` on its own line. */
export function printed(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += String(chunk);
      if (seen.split('\n').includes(line)) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing "${line}"`)));
  });
}

/** Resolves with how `child` exited, or kills it and resolves `code: null` when it is still running after `ms`. */
export function exitWithin(child: ChildProcess, ms: number): Promise<Exit & { at: number }> {
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return exitOf(child).then((exit) => {
    clearTimeout(timer);
    return { ...exit, code: exit.signal === 'SIGKILL' ? null : exit.code, at: Date.now() };
  });
}
