import { setPriority } from 'node:os';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { loadConfig } from '../config.js';
import { failImport, runImport, type ImportSettings } from '../importer/run-import.js';
import { readImportRecord } from '../datasets/import/records.js';
import { stagingDirOf } from '../datasets/upload.js';
import { IMPORT_ATTEMPTS, type ImportJobData, type ImportOutcomeResult } from '../queue/import-queue.js';
import { TENANT_NAME } from '../schemas/tenant.js';
import { tenantStorage } from '../storage/prefixed.js';
import { datasetStoreFromConfig, storageFromConfig } from '../stores.js';

/**
 * The `dataset-import` job, in a forked child process like training: unpacking, decoding and
 * converting tens of thousands of images never delays the worker's lock renewals.
 */

try {
  setPriority(19);
} catch {
  // not permitted here: run at normal priority
}
process.on('disconnect', () => process.exit(1));

const UPLOAD_ID = /^ds_[0-9a-f]{24}$/;

export default async function importProcessor(
  job: SandboxedJob<ImportJobData, ImportOutcomeResult>,
): Promise<ImportOutcomeResult> {
  const { tenant, dataset } = job.data ?? {};
  if (
    typeof tenant !== 'string' ||
    !TENANT_NAME.test(tenant) ||
    typeof dataset !== 'string' ||
    !UPLOAD_ID.test(dataset)
  ) {
    throw new UnrecoverableError('import job data names no tenant and dataset');
  }
  const config = loadConfig();
  const root = storageFromConfig(config);
  const storage = tenantStorage(root, tenant);
  const store = datasetStoreFromConfig(config, root).forTenant(tenant);
  const settings: ImportSettings = {
    maxEntries: config.MAX_IMPORT_FILES,
    maxUnpackedBytes: config.MAX_IMPORT_UNPACKED_BYTES,
    maxImages: config.MAX_DATASET_IMAGES,
    maxClasses: config.MAX_CLASSES,
    maxPixels: config.MAX_IMAGE_PIXELS,
    maxDecodeBytes: config.MAX_DECODE_MEMORY,
    maxSeconds: config.MAX_IMPORT_SECONDS,
    bytesPerOwner: config.MAX_DATASET_STORAGE_PER_KEY,
    stagingDir: stagingDirOf(config.DATA_DIR),
  };
  try {
    const outcome = await runImport(dataset, {
      storage,
      settings,
      storedByOwner: (owner, except) => store.storedBy(owner, except),
      onProgress: (p) => job.updateProgress(p),
    });
    return { outcome };
  } catch (err) {
    // The last attempt: the dataset must not stay `importing` for ever.
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? IMPORT_ATTEMPTS)) {
      const record = await readImportRecord(storage, dataset).catch(() => undefined);
      if (record)
        await failImport(
          storage,
          record,
          `the import failed on the server ${job.attemptsMade + 1} times; its log names job ${job.id}`,
        ).catch(() => {});
    }
    throw err;
  }
}
