import type { TestProject } from 'vitest/node';
import { pingRedis } from '../src/queue/redis.js';
import { startPrivateRedis, type PrivateRedis } from './helpers/redis-server.js';

/**
 * `npm test` sets itself up: it uses REDIS_URL when that answers, otherwise starts a private
 * redis-server on a free port, otherwise stops with one line saying what is missing.
 */
let server: PrivateRedis | undefined;

export default async function setup(project: TestProject) {
  const wanted = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let url = wanted;
  try {
    await pingRedis(wanted, 1000);
  } catch {
    try {
      server = await startPrivateRedis();
    } catch (err) {
      throw new Error(
        `tests need Redis: ${wanted} does not answer and no redis-server could be started (${(err as Error).message})`,
      );
    }
    url = server.url;
  }
  project.provide('redisUrl', url);
  return async () => {
    await server?.kill();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
