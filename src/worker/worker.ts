import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { CheckpointStore } from '../models/checkpoints.js';
import type { Progress, TrainingJobData, TrainingJobResult } from '../schemas/job.js';
import { TRAINING_QUEUE, type TrainJobName } from '../queue/training-queue.js';
import { DEFAULT_TENANT, TENANT_NAME } from '../schemas/tenant.js';

export type TrainingWorker = Worker<TrainingJobData, TrainingJobResult, TrainJobName>;

export interface WorkerSettings {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  logger: Logger;
  checkpoints: { forTenant(tenant: string): Pick<CheckpointStore, 'remove'> };
  /** A dead worker's job is taken over within about lockMs + stalledCheckMs. */
  lockMs: number;
  stalledCheckMs: number;
}

/**
 * The compiled sandboxed processor. From the compiled worker it sits beside this file; when
 * this module runs from TypeScript sources (tests), the build output is used.
 */
export function processorPath(): string {
  const beside = fileURLToPath(new URL('./processor.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/worker/processor.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error('the compiled training processor is missing: run `npm run build` first');
}

/**
 * A BullMQ worker whose processor runs in forked child processes (one per concurrent job),
 * so this process's event loop stays free to renew locks and relay progress.
 */
export function createTrainingWorker({
  connection,
  prefix,
  concurrency,
  logger,
  checkpoints,
  lockMs,
  stalledCheckMs,
}: WorkerSettings): TrainingWorker {
  const worker: TrainingWorker = new Worker(TRAINING_QUEUE, processorPath(), {
    connection,
    prefix,
    concurrency,
    useWorkerThreads: false,
    // Trainers collect garbage on their own thread. V8's helper threads for GC otherwise compete
    // with the other trainer for the cores, and two jobs at once scale worse (docs/performance.md).
    workerForkOptions: {
      execArgv: [...process.execArgv.filter((arg) => !arg.startsWith('--inspect')), '--single-threaded-gc'],
    },
    lockDuration: lockMs,
    stalledInterval: stalledCheckMs,
    maxStalledCount: 2,
  });
  worker.on('active', (job) =>
    logger.info(
      { jobId: job.id, dataset: job.data.dataset, params: job.data.params, tenant: jobTenant(job.data) },
      'training job started',
    ),
  );
  worker.on('progress', (job, progress) => {
    const p = progress as Progress;
    if (p.current) return; // within an epoch: logged when it ends
    logger.info(
      {
        jobId: job.id,
        epoch: p.epoch,
        epochs: p.epochs,
        loss: p.loss,
        accuracy: p.accuracy,
        samplesPerSecond: p.samplesPerSecond,
      },
      'epoch finished',
    );
  });
  worker.on('completed', (job, result) =>
    logger.info(
      { jobId: job.id, tenant: jobTenant(job.data), modelId: result.modelId, metrics: result.metrics },
      'training job completed',
    ),
  );
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = isFinalFailure(job, err);
    logger.warn(
      { jobId: job.id, tenant: jobTenant(job.data), attemptsMade: job.attemptsMade, final, err: err.message },
      'training job failed',
    );
    // No attempt follows: the checkpoint has nothing left to resume. Event handlers are not awaited.
    if (final)
      void checkpoints
        .forTenant(jobTenant(job.data))
        .remove(job.id!)
        .catch((e: unknown) => logger.warn({ jobId: job.id, err: (e as Error).message }, 'checkpoint not removed'));
  });
  worker.on('error', (err) => logger.error({ err: err.message }, 'worker error'));
  return worker;
}

/** The tenant a job's data names, when it is one; the job's own checks ran in its training process. */
const jobTenant = (data: Partial<TrainingJobData> | undefined): string =>
  typeof data?.tenant === 'string' && TENANT_NAME.test(data.tenant) ? data.tenant : DEFAULT_TENANT;

/** Whether a failed attempt is the job's last: BullMQ retries it otherwise. */
export function isFinalFailure(job: Pick<Job, 'attemptsMade' | 'opts'>, err: Error): boolean {
  // BullMQ raises UnrecoverableError itself too (a job stalled too often): no attempt follows either.
  return err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}
