import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { pingRedis } from '../../src/queue/redis.js';
import { freePort } from './net.js';

/**
 * A private redis-server a test may kill and restart: outages are tested against it, never
 * against the suite's shared Redis. Without `aofDir` nothing persists, so a restart comes back
 * empty; with it, every write is appended and fsynced there, as a production Redis with AOF.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL: the connections drop as they would when a Redis host dies. */
  kill(): Promise<void>;
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing answers, as in a network partition. */
  pause(): void;
  resume(): void;
}

export async function startPrivateRedis(opts: { aofDir?: string } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;

  async function start(): Promise<void> {
    const persistence = opts.aofDir
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', opts.aofDir, '--maxmemory-policy', 'noeviction']
      : ['--appendonly', 'no'];
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    proc = child;
    const failed = once(child, 'error').then(([err]) => {
      throw new Error(`redis-server did not start: ${(err as Error).message}`);
    });
    for (let i = 0; i < 100; i++) {
      const up = await Promise.race([
        pingRedis(url, 200).then(
          () => true,
          () => false,
        ),
        failed,
      ]);
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${port} never answered`);
  }

  await start();
  return {
    url,
    port,
    start,
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
    async kill() {
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
