import type { Logger } from 'pino';
import type { AppDeps } from './api/deps.js';
import type { Config } from './config.js';
import { createPredictor } from './inference/predictor.js';
import { createCheckpointStore } from './models/checkpoints.js';
import { createModelStore } from './models/store.js';
import { createJobService } from './queue/jobs.js';
import { createRedis, pingRedis, redactUrl, redisUnreachableMessage, whenReady } from './queue/redis.js';
import { createTrainingQueue } from './queue/training-queue.js';
import { initBackend } from './training/backend.js';
import { datasetStoreFromConfig } from './training/datasets/store.js';
import { storageFromConfig } from './storage/index.js';

/** The composition root: real dependencies from configuration, shared by every entry point. */
export async function createApiDeps(config: Config): Promise<{ deps: AppDeps; close(): Promise<void> }> {
  const backend = await initBackend(config.TRAINING_BACKEND);
  const redis = createRedis(config.REDIS_URL, 'api');
  redis.on('error', () => {}); // readiness and the 503 answers report outages; no log flood
  await whenReady(redis);
  const queue = createTrainingQueue({
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    retentionDays: config.JOB_RETENTION_DAYS,
  });
  queue.on('error', () => {});
  const storage = storageFromConfig(config);
  const datasets = datasetStoreFromConfig(config, storage);
  const models = createModelStore({ storage, listCacheMs: config.MODEL_LIST_CACHE_MS });
  const deps: AppDeps = {
    config,
    redis,
    datasets,
    models,
    jobs: createJobService({
      queue,
      datasets,
      redis,
      checkpoints: createCheckpointStore({ storage }),
      retentionDays: config.JOB_RETENTION_DAYS,
    }),
    predictor: createPredictor({ models, cacheSize: config.MODEL_CACHE_SIZE }),
    backend: backend.name,
  };
  return {
    deps,
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}

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
