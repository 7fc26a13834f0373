import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImportProgress } from '../schemas/dataset-import.js';
import type { ObjectStorage } from '../storage/types.js';
import { putAll } from '../storage/types.js';
import { pipeToNewFile } from '../storage/local-file.js';
import { IDX_FILE_NAMES } from '../datasets/builtin.js';
import type { DatasetMarker } from '../datasets/types.js';
import { INFO_FILE } from '../datasets/upload.js';
import { collectArchive } from './collect-archive.js';
import { readCsvFile } from './csv.js';
import type { ArchiveLimits } from './entries.js';
import { ImportRejectedError } from '../datasets/import/errors.js';
import { build, drawTestSplit } from './finish.js';
import { byCodePoint, checkClasses, layoutOf, type Groups } from './layout.js';
import { renderPreview } from '../datasets/import/preview.js';
import { tarEntries } from './tar.js';
import { zipEntries } from './zip.js';
import {
  failImport,
  importKey,
  PREVIEW_FILE,
  readImportRecord,
  sourceKey,
  writeImportRecord,
  type ImportRecord,
} from '../datasets/import/records.js';

export { failImport };
import type { SkippedFile } from '../schemas/dataset-import.js';

export interface ImportSettings extends Omit<ArchiveLimits, 'maxFileBytes'> {
  maxImages: number;
  maxClasses: number;
  maxPixels: number;
  maxDecodeBytes: number;
  /** MAX_IMPORT_SECONDS */
  maxSeconds: number;
  /** MAX_DATASET_STORAGE_PER_KEY: the unpacked dataset counts against it. */
  bytesPerOwner: number;
  /** Local directory for the uploaded files while they are read (the archive needs random access). */
  stagingDir: string;
}

export interface ImportContext {
  /** The tenant's storage. */
  storage: ObjectStorage;
  settings: ImportSettings;
  /** Bytes the owner keeps in other datasets (their markers and import records). */
  storedByOwner(owner: string, except: string): Promise<number>;
  /** Progress for the job (BullMQ's updateProgress). */
  onProgress(progress: ImportProgress): Promise<void> | void;
}

export type ImportOutcome = 'ready' | 'failed' | 'gone';

/** An image is at most this large as a file: a 4096² PNG fits. */
const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;
const REPORT_EVERY_MS = 1000;

const idxBytes = (n: number) => 16 + n * 784 + 8 + n;

/**
 * Runs one import: the staged upload is read from storage, unpacked and converted, and the
 * dataset written as four IDX files, a preview and, last, dataset.json. The upload's own faults
 * end it `failed` with the reason; anything else is thrown for the job to retry.
 */
export async function runImport(id: string, ctx: ImportContext): Promise<ImportOutcome> {
  const { storage, settings } = ctx;
  const record = await readImportRecord(storage, id);
  if (!record) return (await storage.get(`datasets/${id}/${INFO_FILE}`)) ? 'ready' : 'gone';
  if (record.state === 'failed') return 'failed';
  const deadline = Date.now() + settings.maxSeconds * 1000;
  const progress: ImportProgress = { filesRead: 0, imagesKept: 0, imagesSkipped: 0 };
  let reportedAt = Date.now();
  const tick = async (p: ImportProgress) => {
    if (Date.now() > deadline) {
      throw new ImportRejectedError(`the import ran over ${settings.maxSeconds} s (MAX_IMPORT_SECONDS)`);
    }
    if (Date.now() - reportedAt < REPORT_EVERY_MS) return;
    reportedAt = Date.now();
    // The record is read back first: a dataset deleted while it imports stops the import.
    if (!(await storage.get(importKey(id)))) throw new ImportGoneError();
    await writeImportRecord(storage, { ...record, import: { ...record.import, progress: { ...p } } });
    await ctx.onProgress({ ...p });
  };
  const staged: string[] = [];
  try {
    await mkdir(settings.stagingDir, { recursive: true });
    const files = new Map<string, string>();
    for (const field of record.sources) {
      const path = join(settings.stagingDir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
      staged.push(path);
      const object = await storage.getStream(sourceKey(id, field));
      if (!object) throw new ImportRejectedError(`the uploaded ${field} is missing from storage`);
      await pipeToNewFile(path, object.body);
      files.set(field, path);
    }
    const { train, test, classes, skipped, format } = await readSources(record, files, settings, progress, tick);
    const testGroups = test ?? drawTestSplit(train, classes, record.import.testSplit, record.import.seed);
    const built = build(train, testGroups, classes, skipped);
    const bytes = idxBytes(built.train.count) + idxBytes(built.test.count);
    const others = await ctx.storedByOwner(record.owner, id);
    if (others + bytes > settings.bytesPerOwner) {
      throw new ImportRejectedError(
        `the dataset unpacks to ${bytes.toLocaleString('en-US')} bytes; with the ${others.toLocaleString('en-US')} bytes stored that is more than ${settings.bytesPerOwner.toLocaleString('en-US')} (MAX_DATASET_STORAGE_PER_KEY)`,
      );
    }
    const dir = `datasets/${id}/`;
    await putAll(storage, [
      [`${dir}${IDX_FILE_NAMES.trainImages}`, built.train.images],
      [`${dir}${IDX_FILE_NAMES.trainLabels}`, built.train.labels],
      [`${dir}${IDX_FILE_NAMES.testImages}`, built.test.images],
      [`${dir}${IDX_FILE_NAMES.testLabels}`, built.test.labels],
      [
        `${dir}${PREVIEW_FILE}`,
        await renderPreview(built.train.images.subarray(16), built.train.labels.subarray(8), classes.length),
      ],
    ]);
    if (!(await storage.get(importKey(id)))) throw new ImportGoneError();
    const { sources: _sources, state: _state, note: _note, ...rest } = record;
    const marker: DatasetMarker & { preprocess: string } = {
      ...rest,
      available: true,
      trainSize: built.train.count,
      testSize: built.test.count,
      classes: classes.length,
      labels: classes,
      preprocess: record.import.preprocess,
      state: 'ready',
      import: { ...record.import, format, progress, report: built.report, finishedAt: new Date().toISOString() },
      bytes,
    };
    // The commit marker, written last; then the record and the upload are no longer needed.
    await storage.put(`${dir}${INFO_FILE}`, Buffer.from(`${JSON.stringify(marker, null, 2)}\n`));
    // A DELETE that came after the check above removed the record: the marker must not revive it.
    if (!(await storage.get(importKey(id)))) throw new ImportGoneError();
    await storage.delete(importKey(id));
    await storage.deletePrefix(`${dir}source/`);
    return 'ready';
  } catch (err) {
    if (err instanceof ImportGoneError) {
      await storage.deletePrefix(`datasets/${id}/`);
      return 'gone';
    }
    if (!(err instanceof ImportRejectedError)) throw err;
    await failImport(storage, record, err.message, progress);
    return 'failed';
  } finally {
    await Promise.all(staged.map((p) => rm(p, { force: true })));
  }
}

class ImportGoneError extends Error {}

interface Sources {
  train: Groups;
  test: Groups | undefined;
  classes: string[];
  skipped: SkippedFile[];
  format: ImportRecord['import']['format'];
}

async function readSources(
  record: ImportRecord,
  files: Map<string, string>,
  settings: ImportSettings,
  progress: ImportProgress,
  tick: (p: ImportProgress) => Promise<void>,
): Promise<Sources> {
  const rule = record.import.preprocess;
  const limits = { maxClasses: settings.maxClasses };
  const archive = files.get('archive');
  if (archive === undefined) {
    const opts = { rule, maxImages: settings.maxImages, progress, onRow: tick };
    const train: Groups = new Map();
    await readCsvFile(files.get('trainCsv')!, 'trainCsv', train, opts);
    let test: Groups | undefined;
    const testPath = files.get('testCsv');
    if (testPath !== undefined) await readCsvFile(testPath, 'testCsv', (test = new Map()), opts);
    const strays = [...(test?.keys() ?? [])].filter((l) => !train.has(l));
    if (strays.length > 0) {
      throw new ImportRejectedError(
        `testCsv: label ${strays.map((l) => JSON.stringify(l)).join(', ')} is not in trainCsv`,
      );
    }
    const classes = [...train.keys()].sort(byCodePoint);
    checkClasses(classes, (c) => train.get(c)?.length ?? 0, limits);
    return { train, test, classes, skipped: [], format: 'csv' };
  }
  const { entries, format } = await openArchive(archive, settings);
  const collected = await collectArchive(entries, {
    ...settings,
    maxFileBytes: MAX_IMAGE_FILE_BYTES,
    rule,
    onEntry: tick,
  });
  Object.assign(progress, collected.progress);
  const skippedPaths = collected.skipped.map((s) => s.file);
  const layout = layoutOf(collected.kept, skippedPaths, collected.dirs, limits);
  progress.imagesKept -= layout.outside.length;
  progress.imagesSkipped += layout.outside.length;
  const skipped = [...collected.skipped, ...layout.outside];
  return { train: layout.train, test: layout.test, classes: layout.classes, skipped, format };
}

async function openArchive(path: string, settings: ImportSettings) {
  const head = Buffer.alloc(262);
  const handle = await open(path, 'r');
  const { bytesRead } = await handle.read(head, 0, head.length, 0).finally(() => handle.close());
  const limits = { ...settings, maxFileBytes: MAX_IMAGE_FILE_BYTES };
  if (bytesRead >= 4 && (head.readUInt32LE(0) === 0x04034b50 || head.readUInt32LE(0) === 0x06054b50)) {
    return { entries: zipEntries(path, limits), format: 'zip' as const };
  }
  if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    return { entries: tarEntries(path, true, limits), format: 'tar.gz' as const };
  }
  if (bytesRead >= 262 && head.toString('latin1', 257, 262) === 'ustar') {
    return { entries: tarEntries(path, false, limits), format: 'tar' as const };
  }
  throw new ImportRejectedError('the archive is not a ZIP, a tar or a gzipped tar');
}
