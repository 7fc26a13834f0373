import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { pingRedis } from '../src/queue/redis.js';

/**
 * `npm test` sets itself up: it uses REDIS_URL when that answers, otherwise starts a private
 * redis-server on a free port, otherwise stops with one line saying what is missing.
 */
let server: ChildProcess | undefined;
let dir: string | undefined;

export default async function setup(project: TestProject) {
  const wanted = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let url = wanted;
  try {
    await pingRedis(wanted, 1000);
  } catch {
    url = await startPrivateRedis();
  }
  project.provide('redisUrl', url);
  return async () => {
    server?.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}

async function startPrivateRedis(): Promise<string> {
  const port = await freePort();
  dir = await mkdtemp(join(tmpdir(), 'trainyard-redis-'));
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) =>
    server!.once('error', () =>
      reject(new Error('tests need Redis: REDIS_URL does not answer and redis-server is not installed')),
    ),
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    const up = await Promise.race([
      pingRedis(url, 200).then(
        () => true,
        () => false,
      ),
      failed,
    ]);
    if (up) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server started on port ${port} but never answered`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
