import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createLogger } from '../logger.js';
import { createRedis } from '../queue/redis.js';
import { initBackend } from '../training/backend.js';
import { onShutdown, requireRedis } from '../runtime.js';
import { configOrExit } from '../server.js';
import { createTrainingWorker } from './worker.js';

/** Starts a training worker; returns its close function (used alone here and by main.ts). */
export async function startWorker(config: Config, logger: Logger): Promise<() => Promise<void>> {
  await requireRedis(config, logger);
  // The sandboxed children pick the same backend by the same rule; it is resolved here to report it.
  const backend = await initBackend(config.TRAINING_BACKEND);
  const connection = createRedis(config.REDIS_URL, 'worker');
  connection.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const worker = createTrainingWorker({
    connection,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    logger,
  });
  logger.info(
    { backend: backend.name, skipped: backend.skipped, concurrency: config.WORKER_CONCURRENCY },
    'trainyard worker started',
  );
  return async () => {
    await worker.close();
    connection.disconnect();
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL, { role: 'worker' });
  const close = await startWorker(config, logger);
  onShutdown(logger, close);
}
