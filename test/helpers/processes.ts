import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningProcess {
  proc: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a compiled entry point (`dist/...`) as a real process with the test's configuration
 * and waits until its log says it is up.
 */
export async function startProcess(
  entry: 'server.js' | 'worker/main.js' | 'main.js',
  config: Config,
  readyText: string,
  env: Record<string, string> = {},
  /** The installation to run (default: this checkout). */
  cwd = root,
): Promise<RunningProcess> {
  const vars = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
  const proc = spawn(process.execPath, [`dist/${entry}`], {
    cwd,
    env: { ...process.env, ...vars, LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start:\n${out}`)), 30_000);
    const check = () => {
      if (out.includes(readyText)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${out}`));
    });
  });
  return {
    proc,
    output: () => out,
    stop(signal = 'SIGTERM') {
      // A process killed by a signal has no exit code but a signal code.
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
      return new Promise((resolve) => {
        proc.once('exit', (code) => resolve(code));
        proc.kill(signal);
      });
    },
  };
}

export const startWorker = (config: Config, env: Record<string, string> = {}) =>
  startProcess('worker/main.js', config, 'trainyard worker started', env);

export const startApi = (config: Config, env: Record<string, string> = {}) =>
  startProcess('server.js', config, 'trainyard api listening', env);

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
