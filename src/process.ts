/**
 * What both processes, the API and the worker, do as processes: fail start-up clearly without
 * Redis, and shut down on signals within a deadline. Nothing here loads HTTP or training code.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { describeTarget, parseRedisTarget, redisStartupFailure, withProbe } from './queue/redis.js';
import { checkEvictionPolicy } from './queue/redis-checks.js';

/**
 * Fails start-up with one clear line when Redis does not answer or refuses the credentials;
 * logs the topology (never a password) and warns, or refuses with REDIS_REQUIRE_NOEVICTION,
 * when a primary may evict keys.
 */
export async function requireRedis(config: Config, logger: Logger): Promise<void> {
  const target = parseRedisTarget(config);
  let eviction;
  try {
    eviction = await withProbe(target, async (client) => {
      await client.ping();
      return checkEvictionPolicy(client);
    });
  } catch (err) {
    logger.fatal(redisStartupFailure(config, err));
    process.exit(1);
  }
  logger.info({ redis: describeTarget(target) }, 'redis reachable');
  for (const { node, policy } of eviction.evicting) {
    const line = `Redis ${node} has maxmemory-policy ${policy}: under memory pressure it may evict a job's keys and lose the job; set noeviction`;
    if (config.REDIS_REQUIRE_NOEVICTION) {
      logger.fatal(`${line} (REDIS_REQUIRE_NOEVICTION=true refuses to start)`);
      process.exit(1);
    }
    logger.warn(`${line} (REDIS_REQUIRE_NOEVICTION=true would refuse to start)`);
  }
  if (eviction.unknown.length > 0)
    logger.warn(
      { nodes: eviction.unknown },
      'could not read maxmemory-policy (INFO refused): make sure it is noeviction',
    );
}

/**
 * Runs `close` once on SIGTERM or SIGINT, then exits; a second signal or the deadline
 * forces the exit so a stuck dependency cannot keep a container from stopping.
 */
export function onShutdown(logger: Logger, close: () => Promise<void>, deadlineMs = 30_000): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown deadline passed: exiting');
      process.exit(1);
    }, deadlineMs).unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
