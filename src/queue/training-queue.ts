import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { TrainingJobData, TrainingJobResult } from '../schemas/job.js';

/**
 * The queue map shared by producer (API) and consumer (worker): one name, one job name and
 * the data and result types that travel with it.
 */
export const TRAINING_QUEUE = 'training';
export const TRAIN_JOB = 'train';
export type TrainJobName = typeof TRAIN_JOB;

export type TrainingQueue = Queue<TrainingJobData, TrainingJobResult, TrainJobName>;

export interface QueueSettings {
  connection: ConnectionOptions;
  prefix: string;
  retentionDays: number;
}

export function trainingJobOptions(retentionDays: number): JobsOptions {
  const keep = { age: retentionDays * 24 * 3600, count: 1000 };
  return {
    // Transient failures (a lost worker, Redis hiccups) are retried; bad input fails at once.
    attempts: 3,
    backoff: { type: 'exponential', delay: 5000 },
    removeOnComplete: keep,
    removeOnFail: keep,
  };
}

export function createTrainingQueue({ connection, prefix, retentionDays }: QueueSettings): TrainingQueue {
  return new Queue<TrainingJobData, TrainingJobResult, TrainJobName>(TRAINING_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: trainingJobOptions(retentionDays),
  });
}
