import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { RedisClient as Redis } from '../queue/redis.js';
import type { Logger } from 'pino';
import { createLogger } from '../logger.js';
import { createRedis } from '../queue/redis.js';
import { initBackend } from '../training/backend.js';
import { onShutdown, requireRedis } from '../process.js';
import { configOrExit, type Config } from '../config.js';
import { createCheckpointStore } from '../models/checkpoints.js';
import { createModelStore, type ModelStore } from '../models/store.js';
import type { DatasetStore } from '../datasets/types.js';
import { ABORT_CANCEL, ABORT_SHUTDOWN, isCancelRequested, listenForCancels } from '../queue/cancellation.js';
import { createTrainingWorker, isFinalFailure, type TrainingWorker } from './worker.js';
import type { Job } from 'bullmq';
import { createWorkerMetrics, serveMetrics, type MetricsEndpoint } from '../metrics/worker-metrics.js';
import { CANCELLED_REASON, type Progress } from '../schemas/job.js';
import { datasetStoreFromConfig, storageFromConfig } from '../stores.js';
import { storedTenants } from '../storage/prefixed.js';
import type { ObjectStorage } from '../storage/types.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';
import { createImportWorker } from './import-worker.js';

/** Starts a training worker; returns its close function (used alone here and by main.ts). */
export async function startWorker(config: Config, logger: Logger): Promise<() => Promise<void>> {
  await requireRedis(config, logger);
  // The sandboxed children pick the same backend by the same rule; it is resolved here to report it.
  const backend = await initBackend(config.TRAINING_BACKEND);
  const storage = storageFromConfig(config);
  const connection = createRedis(config, 'worker');
  connection.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const worker = createTrainingWorker({
    connection,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    logger,
    checkpoints: createCheckpointStore({ storage }),
    lockMs: config.JOB_LOCK_MS,
    stalledCheckMs: config.STALLED_CHECK_MS,
  });
  const imports = createImportWorker({
    connection,
    prefix: config.QUEUE_PREFIX,
    logger,
    lockMs: config.JOB_LOCK_MS,
    stalledCheckMs: config.STALLED_CHECK_MS,
    storage,
  });
  const subscriber = connection.duplicate();
  subscriber.on('error', () => {}); // the main connection reports outages
  await listenForCancels(subscriber, config.QUEUE_PREFIX, (jobId) => {
    if (worker.cancelJob(jobId, ABORT_CANCEL)) logger.info({ jobId }, 'cancelling training job');
  });
  // A cancel requested while no worker held the job (it was being taken over) applies now.
  // Not awaited (an event handler); a failed read is a Redis outage, which the connection reports.
  worker.on('active', (job) => {
    void isCancelRequested(connection, config.QUEUE_PREFIX, job.id!).then(
      (cancelled) => cancelled && worker.cancelJob(job.id!, ABORT_CANCEL),
      () => {},
    );
  });
  const metricsServer = await startMetrics(
    { port: config.WORKER_METRICS_PORT, host: config.WORKER_METRICS_HOST, key: config.METRICS_KEY || undefined },
    worker,
    logger,
  );
  // Said once, on its own line: a machine that could train natively but does not should show why.
  const notNative = backend.skipped.find((s) => s.startsWith('native: '));
  if (notNative) logger.warn(`native training unavailable, training on ${backend.name}: ${notNative.slice(8)}`);
  // Logged once everything listens: process supervisors and tests wait for this line.
  logger.info(
    { backend: backend.name, skipped: backend.skipped, concurrency: config.WORKER_CONCURRENCY },
    'trainyard worker started',
  );
  const sweeper = startSweeper(storage, createModelStore({ storage }), datasetStoreFromConfig(config, storage), logger);
  const heartbeat = config.WORKER_HEARTBEAT_FILE
    ? startHeartbeat(config.WORKER_HEARTBEAT_FILE, worker, connection)
    : undefined;
  return async () => {
    clearInterval(heartbeat);
    sweeper.stop();
    metricsServer?.close();
    // Running jobs stop after their current batch and go back to the queue; another worker
    // resumes each from its last epoch checkpoint.
    worker.cancelAllJobs(ABORT_SHUTDOWN);
    // An import in progress is dropped, not waited for: its lock expires and another worker redoes it.
    await Promise.all([worker.close(), imports.close(true)]);
    subscriber.disconnect();
    connection.disconnect();
  };
}

/**
 * The worker's Prometheus metrics, fed by its own events: sandboxed children report progress
 * through the parent, so every epoch of every job passes here. A port already taken is
 * logged, not fatal: training matters more than its metrics.
 */
async function startMetrics(
  endpoint: MetricsEndpoint,
  worker: TrainingWorker,
  logger: Logger,
): Promise<Server | undefined> {
  const { port, host } = endpoint;
  if (port === 0) return undefined;
  const metrics = createWorkerMetrics();
  worker.on('progress', (_job, progress) => {
    const p = progress as Partial<Progress>;
    if (p.current) return; // within an epoch: the epoch is counted when it ends
    if (typeof p.samplesPerSecond === 'number') metrics.samplesPerSecond.set(p.samplesPerSecond);
    if (typeof p.epoch === 'number' && p.epoch > 0) metrics.epochs.inc();
  });
  const ended = (job: Job | undefined, outcome: string) => {
    if (job?.processedOn) {
      metrics.jobDuration.observe({ outcome }, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
    }
  };
  worker.on('completed', (job) => ended(job, 'completed'));
  // Attempts BullMQ will retry are not an outcome yet; the retry's own end is.
  worker.on('failed', (job, err) => {
    if (job && isFinalFailure(job, err)) ended(job, job.failedReason === CANCELLED_REASON ? 'cancelled' : 'failed');
  });
  try {
    const server = await serveMetrics(metrics.registry, endpoint);
    logger.info({ host, port, key: endpoint.key !== undefined }, 'worker metrics at /metrics');
    return server;
  } catch (err) {
    logger.error({ err: (err as Error).message, host, port }, 'worker metrics not served');
    return undefined;
  }
}

/** Files younger than this may belong to a save or upload still running (on another machine's clock). */
const SWEEP_GRACE_MS = 60 * 60_000;
const SWEEP_EVERY_MS = 60 * 60_000;

/**
 * Removes, a minute after start and then hourly, the model files a save or remove that crashed
 * part-way left behind, and the files of dataset uploads that died before their dataset.json
 * (invisible, since no marker names them, but taking space). Several workers sweeping at once
 * delete the same files, which is harmless.
 */
function startSweeper(
  storage: ObjectStorage,
  models: ModelStore,
  datasets: DatasetStore,
  logger: Logger,
): { stop(): void } {
  let running = false;
  const sweepTenant = (tenant: string) => {
    const models_ = models
      .forTenant(tenant)
      .sweep(SWEEP_GRACE_MS)
      .then(
        (removed) => removed > 0 && logger.info({ removed, tenant }, 'removed model files no model names'),
        (err: unknown) => logger.warn({ err: (err as Error).message, tenant }, 'model sweep failed'),
      );
    const datasets_ = datasets
      .forTenant(tenant)
      .sweep(SWEEP_GRACE_MS)
      .then(
        (removed) =>
          removed > 0 && logger.info({ removed, tenant }, 'removed files of dataset uploads never committed'),
        (err: unknown) => logger.warn({ err: (err as Error).message, tenant }, 'dataset sweep failed'),
      );
    return Promise.all([models_, datasets_]);
  };
  const sweep = () => {
    if (running) return; // a sweep of a large bucket still going
    running = true;
    // Every tenant's prefix in turn: the default tenant's at the root, the others' under tenants/.
    // Each sweep logs its own failures; a timer has no one to wait for them.
    void storedTenants(storage)
      .catch(() => [])
      .then(async (tenants) => {
        for (const tenant of [DEFAULT_TENANT, ...tenants]) await sweepTenant(tenant);
      })
      .finally(() => (running = false));
  };
  const first = setTimeout(sweep, 60_000).unref();
  const every = setInterval(sweep, SWEEP_EVERY_MS).unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}

/** Touches `file` while the worker runs and reaches Redis: a container healthcheck reads its age. */
function startHeartbeat(file: string, worker: TrainingWorker, connection: Redis): NodeJS.Timeout {
  const beat = () => {
    if (worker.isRunning() && connection.status === 'ready') {
      const now = new Date();
      // A failed write shows as the file's age, which is what the healthcheck reads.
      void writeFile(file, now.toISOString()).catch(() => {});
    }
  };
  beat();
  return setInterval(beat, 5000).unref();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL, { role: 'worker' });
  const close = await startWorker(config, logger);
  onShutdown(logger, close, config.SHUTDOWN_GRACE_MS);
}
