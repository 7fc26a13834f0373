import { setPriority } from 'node:os';
import { DelayedError, UnrecoverableError, WaitingError, type SandboxedJob } from 'bullmq';
import { loadConfig } from '../config.js';
import { createCheckpointStore } from '../models/checkpoints.js';
import { createModelStore } from '../models/store.js';
import { TrainingJobDataSchema, type TrainingJobData, type TrainingJobResult } from '../schemas/job.js';
import { initBackend } from '../training/backend.js';
import { createRedis } from '../queue/redis.js';
import { createRunningQuota, type RunningQuota } from '../queue/running-quota.js';
import {
  HandBackError,
  PermanentJobError,
  createJobDataChecker,
  runTrainingJob,
  type TrainingDeps,
} from './run-training-job.js';
import { datasetStoreFromConfig, storageFromConfig } from '../stores.js';
import { createModelRegistry } from '../registry/registry.js';
import { DomainError } from '../errors.js';
import { DATASET_IMPORTING } from '../datasets/import/errors.js';

/**
 * BullMQ's sandboxed processor: this file runs in a forked child process, so training never
 * blocks the worker's event loop (which renews job locks). BullMQ keeps the child for later
 * jobs, so the dependencies below, and the datasets they parse, are built once per child.
 */
let deps: Promise<ProcessorDeps> | undefined;

interface ProcessorDeps {
  training: TrainingDeps;
  running: RunningQuota;
}

/** How long a job whose owner has MAX_RUNNING_JOBS_PER_KEY jobs running waits before it is tried again. */
const SLOT_RETRY_MS = 1000;
/** How often a job on a dataset still importing looks again. */
const IMPORT_WAIT_MS = 2000;

// Training takes whatever CPU it is given; at the lowest priority it yields at once to the
// processes that must answer promptly on the same machine: the worker renewing job locks, an API
// replica. Alone on a core it trains as fast as at any priority (measured against nice 10:
// docs/performance.md).
try {
  setPriority(19);
} catch {
  // not permitted here: run at normal priority
}

// If the worker that forked this process dies (kill -9, OOM), stop: the job's lock expires
// and another worker resumes it from its checkpoint.
process.on('disconnect', () => process.exit(1));

async function createDeps(): Promise<ProcessorDeps> {
  const config = loadConfig();
  const backend = await initBackend(config.TRAINING_BACKEND);
  const storage = storageFromConfig(config);
  const redis = createRedis(config, 'worker');
  redis.on('error', () => {}); // the worker's own connection reports outages
  return {
    training: {
      backend: backend.name,
      datasets: datasetStoreFromConfig(config, storage),
      models: createModelStore({ storage }),
      checkpoints: createCheckpointStore({ storage }),
      registry: createModelRegistry(redis, config.QUEUE_PREFIX),
      checkData: createJobDataChecker(TrainingJobDataSchema),
      limits: config,
    },
    running: createRunningQuota({ redis, prefix: config.QUEUE_PREFIX, max: config.MAX_RUNNING_JOBS_PER_KEY }),
  };
}

export default async function trainingProcessor(
  job: SandboxedJob<TrainingJobData, TrainingJobResult>,
  token?: string,
  signal?: AbortSignal,
): Promise<TrainingJobResult> {
  deps ??= createDeps().catch((err: unknown) => {
    deps = undefined; // a failed start-up (say, an unreadable DATA_DIR) is retried by the next job
    throw err;
  });
  const { training, running } = await deps;
  const owner = typeof job.data?.owner === 'string' ? job.data.owner : undefined;
  if (owner && !(await running.acquire(owner, job.id))) {
    // Back to the queue for a moment, not as an attempt: it runs once one of the owner's jobs ends.
    await job.moveToDelayed(Date.now() + SLOT_RETRY_MS, token);
    throw new DelayedError();
  }
  try {
    return await runTrainingJob(
      {
        id: job.id,
        data: job.data,
        updateProgress: (p) => job.updateProgress(p),
        recordRunTime: (runMs) => job.updateData({ ...job.data, runMs }),
      },
      training,
      signal,
    );
  } catch (err) {
    if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
    if (err instanceof DomainError && err.code === DATASET_IMPORTING) {
      // Waits for the import, in the queue and without using an attempt.
      await job.moveToDelayed(Date.now() + IMPORT_WAIT_MS, token);
      throw new DelayedError();
    }
    if (err instanceof HandBackError) {
      // Back to the queue at once, not as a failed attempt: another worker resumes it.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    throw err;
  } finally {
    if (owner) await running.release(owner, job.id).catch(() => {});
  }
}
