import { DomainError } from '../errors.js';
import { IMAGE_SHAPE } from '../schemas/image-shape.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';
import type { CheckpointStore } from '../models/checkpoints.js';
import type { ModelStore } from '../models/store.js';
import { checkShape, checkWork, type JobLimits } from '../queue/budgets.js';
import { ABORT_SHUTDOWN } from '../queue/cancellation.js';
import {
  CANCELLED_REASON,
  type Progress,
  type TrainingJobData,
  type TrainingJobDataSchema,
  type TrainingJobResult,
  modelNameOf,
} from '../schemas/job.js';
import type { ModelRegistry } from '../registry/registry.js';
import { applyPromoteRule } from '../registry/promote.js';
import { datasetDigest } from '../datasets/digest.js';
import { SERVICE_VERSION } from '../version.js';
import type { DatasetStore } from '../datasets/types.js';
import { isDatasetLoadFailure } from '../datasets/errors.js';
import { TrainingAbortedError, train } from '../training/trainer.js';
import { compileChecker } from '../validation.js';
import type { Static } from '@sinclair/typebox';
import { ABORT_TIMEOUT, startRunTimeLimit } from './run-time-limit.js';

export interface TrainingJobContext {
  id: string;
  data: unknown;
  updateProgress(progress: Progress): Promise<void>;
  /** Records the job's run time so far (earlier attempts included), for the attempts that follow. */
  recordRunTime(runMs: number): Promise<void>;
}

export interface TrainingDeps {
  /** Each tenant's datasets and models: a job reads and writes only its own tenant's. */
  datasets: { forTenant(tenant: string): Pick<DatasetStore, 'load'> };
  models: { forTenant(tenant: string): Pick<ModelStore, 'save'> };
  checkpoints: CheckpointStore;
  /** Where the stored model becomes the next version of its name, before the job reports completed. */
  registry: Pick<ModelRegistry, 'register' | 'heads' | 'version' | 'moveAlias'>;
  backend: string;
  checkData: (value: unknown) => Static<typeof TrainingJobDataSchema>;
  /** The budgets, checked again here: a job queued under other settings, or not through the API. */
  limits: JobLimits;
}

/**
 * Marks errors that retrying cannot fix (bad parameters or data, a budget, the run-time limit, a
 * cancel): the job fails at once. Anything else (storage or Redis down, a trainer that died) is
 * retried up to the job's attempts.
 */
export class PermanentJobError extends Error {}

/** The worker is shutting down: the job goes back to the queue to be resumed elsewhere. */
export class HandBackError extends Error {}

/**
 * One training job from validated data to a stored model: load the dataset (parsed once per
 * process), resume from the job's checkpoint if an earlier attempt left one, train while
 * checkpointing and reporting every epoch, save the model under the job's id. Saving is
 * idempotent, so an attempt that already stored its model does not store twice. The
 * checkpoint outlives attempts that may be retried and is removed once the job ends.
 */
export async function runTrainingJob(
  job: TrainingJobContext,
  deps: TrainingDeps,
  signal?: AbortSignal,
): Promise<TrainingJobResult> {
  let data: TrainingJobData;
  try {
    data = deps.checkData(job.data);
  } catch (err) {
    throw new PermanentJobError(`invalid job data: ${(err as Error).message}`);
  }
  // The job's own limit, never above this worker's setting.
  const limitSeconds = Math.min(data.timeoutSeconds ?? Infinity, deps.limits.JOB_TIMEOUT_SECONDS);
  const timedOut = () =>
    new PermanentJobError(`exceeded its run-time limit of ${limitSeconds.toLocaleString('en-US')} s`);
  const clock = startRunTimeLimit({
    limitSeconds,
    spentMs: data.runMs ?? 0,
    parent: signal,
    record: (runMs) => job.recordRunTime(runMs),
  });
  // The tenant comes from the job's data, checked against the tenant pattern above.
  const tenant = data.tenant ?? DEFAULT_TENANT;
  const checkpoints = deps.checkpoints.forTenant(tenant);
  try {
    if (clock.spentMs() >= limitSeconds * 1000) throw new TrainingAbortedError(ABORT_TIMEOUT);
    const dataset = await deps.datasets.forTenant(tenant).load(data.dataset);
    checkShape(data.params, deps.limits, dataset.labels.length);
    checkWork(data.params, dataset.train.count, deps.limits, dataset.labels.length);
    const resumeFrom = await checkpoints.load(job.id);
    const history: Progress['history'] = [...(resumeFrom?.history ?? [])];
    let reported: Promise<unknown> = Promise.resolve();
    let reporting = false;
    // The last epoch's report, which the reports within the next epoch repeat beside `current`.
    const resumed = history.at(-1);
    let last: Progress = {
      epoch: history.length,
      epochs: data.params.epochs,
      loss: resumed?.loss ?? null,
      accuracy: resumed?.accuracy ?? null,
      samplesPerSecond: null,
      history,
    };
    const outcome = await train(dataset, data.params, {
      signal: clock.signal,
      resumeFrom,
      onCheckpoint: (checkpoint) => checkpoints.save(job.id, checkpoint),
      onEpoch: async ({ epochs, samplesPerSecond, ...record }) => {
        history.splice(record.epoch - 1, history.length, record);
        const { epoch, loss, accuracy, valLoss, valAccuracy } = record;
        last = {
          epoch,
          epochs,
          loss,
          accuracy,
          ...(valLoss === undefined ? {} : { valLoss, valAccuracy }),
          samplesPerSecond,
          history,
        };
        await reported; // a report within the epoch never lands after the epoch's own
        await job.updateProgress(last);
      },
      // Not awaited by training: one at a time (a report still under way skips the next), and one
      // that fails (Redis away a moment) is superseded by the next.
      onSamples: (current) => {
        if (reporting) return;
        reporting = true;
        reported = job
          .updateProgress({ ...last, current })
          .catch(() => {})
          .finally(() => (reporting = false));
      },
    });
    try {
      const saved = await deps.models.forTenant(tenant).save(
        {
          id: job.id,
          name: data.name,
          createdAt: new Date().toISOString(),
          jobId: job.id,
          dataset: data.dataset,
          params: data.params,
          metrics: outcome.metrics,
          backend: deps.backend,
          inputShape: IMAGE_SHAPE,
          labels: [...dataset.labels],
          preprocess: dataset.preprocess,
        },
        outcome.model,
      );
      // Registered before the job completes: once a client sees "completed", the version is
      // resolvable by name on every replica. A retry registers nothing new (one version per job).
      const name = modelNameOf(data);
      const version = await deps.registry.register(tenant, name, {
        id: saved.id,
        createdAt: saved.createdAt,
        metrics: saved.metrics,
        lineage: {
          jobId: job.id,
          params: data.params,
          seed: data.params.seed,
          dataset: data.dataset,
          datasetDigest: datasetDigest(dataset),
          backend: saved.backend,
          serviceVersion: SERVICE_VERSION,
          createdBy: data.caller ?? data.owner ?? 'unknown',
        },
      });
      // Only the alias the job names, and only when its rule holds.
      const promotion = data.promote
        ? await applyPromoteRule(deps.registry, { tenant, name, version, jobId: job.id }, saved.metrics, data.promote)
        : undefined;
      await checkpoints.remove(job.id);
      return {
        modelId: saved.id,
        metrics: saved.metrics,
        version,
        ...(promotion ? { promotion } : {}),
        progress: last,
      };
    } finally {
      outcome.model.dispose();
    }
  } catch (err) {
    if (err instanceof TrainingAbortedError && err.reason === ABORT_SHUTDOWN) {
      throw new HandBackError('worker shutting down');
    }
    if (err instanceof TrainingAbortedError) {
      await checkpoints.remove(job.id);
      throw err.reason === ABORT_TIMEOUT ? timedOut() : new PermanentJobError(CANCELLED_REASON);
    }
    // A dataset that cannot be had (missing files, an offline download) fails the job at once.
    if ((err instanceof DomainError && err.isPermanent) || isDatasetLoadFailure(err)) {
      await checkpoints.remove(job.id);
      throw new PermanentJobError(err.message);
    }
    throw err;
  } finally {
    await clock.stop();
  }
}

export const createJobDataChecker = (schema: typeof TrainingJobDataSchema) => compileChecker(schema, 'data');
