/**
 * What both processes, the API and the worker, do as processes: fail start-up clearly without
 * Redis, and shut down on signals within a deadline. Nothing here loads HTTP or training code.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { pingRedis, redactUrl, redisUnreachableMessage } from './queue/redis.js';

/** Fails start-up with one clear line when Redis does not answer. */
export async function requireRedis(config: Config, logger: Logger): Promise<void> {
  try {
    await pingRedis(config.REDIS_URL);
  } catch (err) {
    logger.fatal(redisUnreachableMessage(config.REDIS_URL, err));
    process.exit(1);
  }
  logger.debug({ redis: redactUrl(config.REDIS_URL) }, 'redis reachable');
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
