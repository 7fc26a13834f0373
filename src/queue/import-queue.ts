import { Queue, type ConnectionOptions } from 'bullmq';

/**
 * The `dataset-import` queue: one job per imported dataset (the job id is the dataset's id), run
 * by the worker's import processor. The dataset's own record in storage carries its state,
 * progress and report; the job only says which dataset of which tenant to import.
 */
export const IMPORT_QUEUE = 'dataset-import';
export const IMPORT_JOB = 'import';
export type ImportJobName = typeof IMPORT_JOB;

export interface ImportJobData {
  tenant: string;
  dataset: string;
}

export type ImportOutcomeResult = { outcome: 'ready' | 'failed' | 'gone' };
export type ImportQueue = Queue<ImportJobData, ImportOutcomeResult, ImportJobName>;

export const IMPORT_ATTEMPTS = 3;

export function createImportQueue(connection: ConnectionOptions, prefix: string): ImportQueue {
  return new Queue<ImportJobData, ImportOutcomeResult, ImportJobName>(IMPORT_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: {
      // A storage hiccup or a lost worker is retried; the upload's own faults end the import at once.
      attempts: IMPORT_ATTEMPTS,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
    },
  });
}

/** Queues the import of a dataset whose upload is staged. */
export async function queueImport(queue: ImportQueue, data: ImportJobData): Promise<void> {
  await queue.add(IMPORT_JOB, data, { jobId: data.dataset });
}
