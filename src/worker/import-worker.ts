import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { failImport, readImportRecord } from '../datasets/import/records.js';
import { TENANT_NAME } from '../schemas/tenant.js';
import { tenantStorage } from '../storage/prefixed.js';
import type { ObjectStorage } from '../storage/types.js';
import {
  IMPORT_ATTEMPTS,
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
  /** The root storage: a dataset whose import failed for good is marked failed here. */
  storage: ObjectStorage;
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
  worker.on('failed', (job, err) => {
    logger.warn(
      { importJob: job?.id, attemptsMade: job?.attemptsMade, err: err.message },
      'dataset import attempt failed',
    );
    if (!job) return;
    // Final when no attempt is left, or when BullMQ fails it at once (stalled too often: attempts left).
    void (async () => {
      const final = job.attemptsMade >= (job.opts.attempts ?? IMPORT_ATTEMPTS) || (await job.getState()) === 'failed';
      if (final) await endFailedImport(opts.storage, job.data, job.attemptsMade, job.id);
    })().catch((e: unknown) =>
      logger.error({ importJob: job.id, err: (e as Error).message }, 'could not mark the failed import'),
    );
  });
  worker.on('error', (err) => logger.error({ err: err.message }, 'import worker error'));
  return worker;
}

/**
 * The last attempt failed without the child saying so (killed, out of memory, crashed in a
 * decoder, stalled): the dataset must not stay `importing`, with jobs waiting on it, for ever.
 */
async function endFailedImport(
  root: ObjectStorage,
  data: ImportJobData,
  attempts: number,
  jobId: string | undefined,
): Promise<void> {
  const { tenant, dataset } = data ?? {};
  if (typeof tenant !== 'string' || !TENANT_NAME.test(tenant) || typeof dataset !== 'string') return;
  if (!/^ds_[0-9a-f]{24}$/.test(dataset)) return; // job data names storage keys: only an upload's id
  const storage = tenantStorage(root, tenant);
  const record = await readImportRecord(storage, dataset);
  if (record?.state !== 'importing') return; // ready, deleted, or already failed with its reason
  const times = attempts > 1 ? `${attempts} times` : 'for good';
  await failImport(storage, record, `the import failed on the server ${times}; its log names job ${jobId}`);
}
