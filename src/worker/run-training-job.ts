import { DomainError } from '../errors.js';
import type { ModelStore } from '../models/store.js';
import type { Progress, TrainingJobData, TrainingJobDataSchema, TrainingJobResult } from '../schemas/job.js';
import type { DatasetStore } from '../training/datasets/types.js';
import { train } from '../training/trainer.js';
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
  backend: string;
  checkData: (value: unknown) => Static<typeof TrainingJobDataSchema>;
}

/** Marks errors that retrying cannot fix (bad parameters, bad data): the job fails at once. */
export class PermanentJobError extends Error {}

/**
 * One training job from validated data to a stored model: load the dataset (parsed once per
 * process), train, report every epoch as job progress, save the model under the job's id.
 * Saving is idempotent, so a retried job that already stored its model does not store twice.
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
    const history: Progress['history'] = [];
    const outcome = await train(dataset, data.params, {
      signal,
      onEpoch: async ({ epochs, samplesPerSecond, ...record }) => {
        history.push(record);
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
      return { modelId: saved.id, metrics: saved.metrics };
    } finally {
      outcome.model.dispose();
    }
  } catch (err) {
    if (err instanceof DomainError && err.isPermanent) throw new PermanentJobError(err.message);
    throw err;
  }
}

export const createJobDataChecker = (schema: typeof TrainingJobDataSchema) => compileChecker(schema, 'data');
