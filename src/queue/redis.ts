import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connections for the two sides. Workers block on Redis and must wait through outages
 * (maxRetriesPerRequest: null, as BullMQ requires); the API must fail fast so that a request
 * answers 503 instead of hanging while Redis is away (no offline queue, one retry). A Redis
 * that keeps the connection open but stops answering (paused, partitioned) sends no error at
 * all: only the command timeout turns that into a 503 rather than a request that never ends.
 */
export const API_COMMAND_TIMEOUT_MS = 500;

export function createRedis(url: string, role: 'api' | 'worker'): Redis {
  const common: RedisOptions = {
    connectionName: `trainyard-${role}`,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  return role === 'worker'
    ? new Redis(url, { ...common, maxRetriesPerRequest: null })
    : new Redis(url, {
        ...common,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: 5000,
        commandTimeout: API_COMMAND_TIMEOUT_MS,
      });
}

/** Resolves once the connection is up (the API's client queues nothing while it is not). */
export function whenReady(client: Redis, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs} ms`)), timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** One PING with a deadline: used at start-up to say clearly that Redis is missing. */
export async function pingRedis(url: string, timeoutMs = 3000): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/** The start-up message when Redis does not answer: one line, with what to do. */
export function redisUnreachableMessage(url: string, err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  return (
    `Redis is not reachable at ${redactUrl(url)} (${reason}). Start one with ` +
    '`docker compose up -d redis` or `redis-server`, or point REDIS_URL at yours.'
  );
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
