import { DomainError } from '../errors.js';
import type { CheckpointStore } from '../models/checkpoints.js';
import type { ModelStore } from '../models/store.js';
import { ABORT_SHUTDOWN } from '../queue/cancellation.js';
import {
  CANCELLED_REASON,
  type Progress,
  type TrainingJobData,
  type TrainingJobDataSchema,
  type TrainingJobResult,
} from '../schemas/job.js';
import type { DatasetStore } from '../training/datasets/types.js';
import { TrainingAbortedError, train } from '../training/trainer.js';
import { compileChecker } from '../validation.js';
import type { Static } from '@sinclair/typebox';

export interface TrainingJobContext {
  id: string;
  data: unknown;
  updateProgress(progress: Progress): Promise<void>;
}

export interface TrainingDeps {
  datasets: Pick<DatasetStore, 'load'>;
  models: Pick<ModelStore, 'save'>;
  checkpoints: CheckpointStore;
  backend: string;
  checkData: (value: unknown) => Static<typeof TrainingJobDataSchema>;
}

/** Marks errors that retrying cannot fix (bad parameters, bad data, a cancel): the job fails at once. */
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
  try {
    const dataset = await deps.datasets.load(data.dataset);
    const resumeFrom = await deps.checkpoints.load(job.id);
    const history: Progress['history'] = [...(resumeFrom?.history ?? [])];
    const outcome = await train(dataset, data.params, {
      signal,
      resumeFrom,
      onCheckpoint: (checkpoint) => deps.checkpoints.save(job.id, checkpoint),
      onEpoch: async ({ epochs, samplesPerSecond, ...record }) => {
        history.splice(record.epoch - 1, history.length, record);
        const { epoch, loss, accuracy, valLoss, valAccuracy } = record;
        await job.updateProgress({
          epoch,
          epochs,
          loss,
          accuracy,
          ...(valLoss === undefined ? {} : { valLoss, valAccuracy }),
          samplesPerSecond,
          history,
        });
      },
    });
    try {
      const saved = await deps.models.save(
        {
          id: job.id,
          name: data.name,
          createdAt: new Date().toISOString(),
          jobId: job.id,
          dataset: data.dataset,
          params: data.params,
          metrics: outcome.metrics,
          backend: deps.backend,
          inputShape: [28, 28],
          labels: [...dataset.labels],
        },
        outcome.model,
      );
      await deps.checkpoints.remove(job.id);
      return { modelId: saved.id, metrics: saved.metrics };
    } finally {
      outcome.model.dispose();
    }
  } catch (err) {
    if (err instanceof TrainingAbortedError && err.reason === ABORT_SHUTDOWN) {
      throw new HandBackError('worker shutting down');
    }
    if (err instanceof TrainingAbortedError) {
      await deps.checkpoints.remove(job.id);
      throw new PermanentJobError(CANCELLED_REASON);
    }
    // A dataset that cannot be had (missing files, an offline download) fails the job at once.
    if (err instanceof DomainError && (err.isPermanent || err.code.startsWith('DATASET_'))) {
      await deps.checkpoints.remove(job.id);
      throw new PermanentJobError(err.message);
    }
    throw err;
  }
}

export const createJobDataChecker = (schema: typeof TrainingJobDataSchema) => compileChecker(schema, 'data');
