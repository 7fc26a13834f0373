import type { AppDeps } from './api/deps.js';
import type { Config } from './config.js';
import { keyringFromConfig } from './api/api-keys.js';
import { createPredictor } from './inference/predictor.js';
import { createApiMetrics } from './metrics/api-metrics.js';
import { createQueuedQuota } from './queue/quotas.js';
import { createCheckpointStore } from './models/checkpoints.js';
import { createModelStore } from './models/store.js';
import { createJobService } from './queue/job-service.js';
import { createJobEventHub } from './queue/job-events.js';
import { createRedis, whenReady } from './queue/redis.js';
import { createTrainingQueue } from './queue/training-queue.js';
import { createImportQueue, queueImport } from './queue/import-queue.js';
import { initBackend } from './training/backend.js';
import { loadNative, nativeAddon } from './native/addon.js';
import { datasetStoreFromConfig, storageFromConfig } from './stores.js';
import { createModelRegistry } from './registry/registry.js';
import { createModelResolver } from './registry/resolver.js';

/** The API's composition root: its real dependencies from configuration (the worker has its own, in worker/main.ts). */
export async function createApiDeps(
  config: Config,
): Promise<{ deps: AppDeps; inference: 'native' | 'tfjs'; close(): Promise<void> }> {
  const backend = await initBackend(config.TRAINING_BACKEND);
  // `native` fails here, with the reason, rather than serve slower than configured.
  const inference =
    config.INFERENCE_BACKEND === 'native'
      ? loadNative()
      : config.INFERENCE_BACKEND === 'auto'
        ? nativeAddon()
        : undefined;
  const redis = createRedis(config, 'api');
  redis.on('error', () => {}); // readiness and the 503 answers report outages; no log flood
  await whenReady(redis);
  const queue = createTrainingQueue({
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    retentionDays: config.JOB_RETENTION_DAYS,
  });
  queue.on('error', () => {});
  const importQueue = createImportQueue(redis, config.QUEUE_PREFIX);
  importQueue.on('error', () => {});
  // The events reader blocks on XREAD: a connection without the API's short command timeout.
  const eventsConnection = createRedis(config, 'events');
  const jobEvents = await createJobEventHub({ connection: eventsConnection, redis, prefix: config.QUEUE_PREFIX });
  const storage = storageFromConfig(config);
  const datasets = datasetStoreFromConfig(config, storage);
  const models = createModelStore({ storage });
  const registry = createModelRegistry(redis, config.QUEUE_PREFIX);
  // Its own connection (a subscribed one runs no other command), which waits through outages:
  // its subscription is queued until it connects and renewed by ioredis on every reconnect.
  const subscriber = createRedis(config, 'events');
  subscriber.on('error', () => {});
  const resolver = createModelResolver({ registry, redis, subscriber, prefix: config.QUEUE_PREFIX });
  const metrics = createApiMetrics();
  const jobs = createJobService({
    queue,
    datasets,
    redis,
    checkpoints: createCheckpointStore({ storage }),
    retentionDays: config.JOB_RETENTION_DAYS,
    quota: createQueuedQuota({ redis, queue, prefix: config.QUEUE_PREFIX, max: config.MAX_QUEUED_JOBS_PER_KEY }),
    limits: config,
  });
  metrics.countJobs(() => jobs.counts());
  const deps: AppDeps = {
    config,
    redis,
    datasets,
    imports: { enqueue: (data) => queueImport(importQueue, data) },
    models,
    registry,
    resolver,
    storage,
    jobs,
    keyring: keyringFromConfig(config),
    metrics,
    predictor: createPredictor({
      models,
      native: inference,
      cacheSize: config.MODEL_CACHE_SIZE,
      cacheBytes: config.MODEL_CACHE_BYTES,
      observe: {
        batch: (rows) => metrics.predictBatchSize.observe(rows),
        cache: (hit) => (hit ? metrics.modelCacheHits : metrics.modelCacheMisses).inc(),
      },
    }),
    jobEvents,
    // Event streams must write within the idle timeout, or it would close them.
    eventsHeartbeatMs: Math.min(15_000, Math.floor(config.CLIENT_IDLE_TIMEOUT_MS / 2)),
    backend: backend.name,
  };
  return {
    deps,
    inference: inference ? 'native' : 'tfjs',
    async close() {
      resolver.close();
      await jobEvents.close();
      eventsConnection.disconnect();
      await queue.close();
      await importQueue.close();
      redis.disconnect();
    },
  };
}
