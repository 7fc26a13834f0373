import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import {
  IMPORT_QUEUE,
  type ImportJobData,
  type ImportJobName,
  type ImportOutcomeResult,
} from '../queue/import-queue.js';

export type ImportWorker = Worker<ImportJobData, ImportOutcomeResult, ImportJobName>;

function importProcessorPath(): string {
  const beside = fileURLToPath(new URL('./import-processor.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/worker/import-processor.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error('the compiled import processor is missing: run `npm run build` first');
}

/** The worker's second BullMQ worker: dataset imports, one at a time, each in a forked child. */
export function createImportWorker(opts: {
  connection: ConnectionOptions;
  prefix: string;
  logger: Logger;
  lockMs: number;
  stalledCheckMs: number;
}): ImportWorker {
  const { logger } = opts;
  const worker: ImportWorker = new Worker(IMPORT_QUEUE, importProcessorPath(), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: 1,
    useWorkerThreads: false,
    workerForkOptions: { execArgv: process.execArgv.filter((arg) => !arg.startsWith('--inspect')) },
    lockDuration: opts.lockMs,
    stalledInterval: opts.stalledCheckMs,
    maxStalledCount: 2,
  });
  worker.on('active', (job) => logger.info({ importJob: job.id, tenant: job.data.tenant }, 'dataset import started'));
  worker.on('completed', (job, result) =>
    logger.info({ importJob: job.id, tenant: job.data.tenant, outcome: result.outcome }, 'dataset import ended'),
  );
  worker.on('failed', (job, err) =>
    logger.warn(
      { importJob: job?.id, attemptsMade: job?.attemptsMade, err: err.message },
      'dataset import attempt failed',
    ),
  );
  worker.on('error', (err) => logger.error({ err: err.message }, 'import worker error'));
  return worker;
}
