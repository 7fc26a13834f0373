import { randomBytes } from 'node:crypto';
import { IMAGE_SHAPE } from '../schemas/image-shape.js';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BadRequestError, InvalidInputError, PayloadTooLargeError, UnavailableError } from '../errors.js';
import { fieldError } from '../schemas/common.js';
import type { ObjectStorage } from '../storage/types.js';
import { IDX_FILE_NAMES } from './builtin.js';
import { checkClassLabels, uploadLabels } from './class-labels.js';
import { checkSplitCounts, type IdxHeader } from './idx.js';
import { writeIdxFile, type IdxFileSpec, type WrittenIdx } from './idx-stream.js';
import type { DatasetInfo, DatasetMarker, DatasetUploadSession, UploadField } from './types.js';
import type { UploadTicket } from './upload-quota.js';

/**
 * One upload, file by file: each file streams through the validator into a staging file, is then
 * copied into storage under `datasets/<id>/`, and its staging file removed, so at most one file
 * per upload is staged at a time. dataset.json, written last, commits the upload; until then
 * nothing lists or loads it, and abort() (or, after a crash, the sweep) removes what was written.
 */

export const UPLOAD_FIELDS = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;

export interface UploadOptions {
  /** The tenant the upload belongs to (its storage is that tenant's). */
  tenant: string;
  storage: ObjectStorage;
  /** Local directory of staging files; a process only ever removes its own, or ones over an hour old. */
  stagingDir: string;
  /** MAX_DATASET_BYTES: each file, uncompressed. */
  maxFileBytes: number;
  /** MAX_DATASET_IMAGES: train + test. */
  maxImages: number;
  /** MAX_CLASSES: labels must be below it. */
  maxClasses: number;
}

export const INFO_FILE = 'dataset.json';

/**
 * `ds_` + the creation time (seconds, 8 hex digits) + 16 random hex digits. The time lets the
 * sweep tell an upload that died before its marker from one still running.
 */
export function newUploadId(now = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `ds_${seconds}${randomBytes(8).toString('hex')}`;
}

/** The creation time (ms) of an id made by newUploadId, or undefined for ids without one. */
export function uploadIdTime(id: string): number | undefined {
  const m = /^ds_([0-9a-f]{8})[0-9a-f]{16}$/.exec(id);
  return m ? parseInt(m[1]!, 16) * 1000 : undefined;
}

const fmt = (n: number) => n.toLocaleString('en-US');

const isImages = (field: UploadField) => field.endsWith('Images');
const splitOf = (field: UploadField) => (field.startsWith('train') ? 'train' : 'test');

/** Disk trouble while staging is the server's, not the client's: a 503 without the path. */
function stagingError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS') {
    return new UnavailableError(
      `no room to stage the upload on this server (${code}); retry later`,
      'UPLOAD_STAGING_FAILED',
    );
  }
  return err;
}

export function startUpload(opts: UploadOptions, owner: string, ticket: UploadTicket): DatasetUploadSession {
  const { storage } = opts;
  const id = newUploadId();
  const dir = `datasets/${id}/`;
  const headers = new Map<UploadField, WrittenIdx>();
  let state: 'open' | 'committed' | 'aborted' = 'open';

  /** Refusals that need only the header, before any data is accepted. */
  function accept(field: UploadField, header: IdxHeader): void {
    if (header.bytes > opts.maxFileBytes) {
      throw new InvalidInputError(
        `${field}: header declares ${fmt(header.count)} ${isImages(field) ? 'images' : 'labels'} ` +
          `(${fmt(header.bytes)} bytes uncompressed), more than the limit of ${fmt(opts.maxFileBytes)} bytes (MAX_DATASET_BYTES)`,
        'IDX_TOO_LARGE',
      );
    }
    // Labels count too: there must be as many labels as images, so they announce the image count.
    const counts = { train: 0, test: 0 };
    for (const [f, h] of [...headers, [field, header] as const]) {
      counts[splitOf(f)] = Math.max(counts[splitOf(f)], h.count);
    }
    const images = counts.train + counts.test;
    if (images > opts.maxImages) {
      throw new PayloadTooLargeError(
        `${field}: the dataset would hold ${fmt(images)} images (train + test); at most ${fmt(opts.maxImages)} (MAX_DATASET_IMAGES)`,
        'TOO_MANY_IMAGES',
      );
    }
    ticket.reserve(header.bytes, field);
  }

  return {
    id,

    async addFile(field, source) {
      if (state !== 'open') throw new Error(`upload ${id} is ${state}`);
      if (headers.has(field)) {
        throw new BadRequestError(`file field "${field}" given twice`, 'UNEXPECTED_FIELD', [
          fieldError(field, 'is given more than once'),
        ]);
      }
      const staged = join(opts.stagingDir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
      try {
        await mkdir(opts.stagingDir, { recursive: true }).catch((err: unknown) => {
          throw stagingError(err);
        });
        const kind = isImages(field) ? 'images' : 'labels';
        const spec: IdxFileSpec = {
          what: field,
          kind,
          accept: (h: IdxHeader) => accept(field, h),
          classes: opts.maxClasses,
          classesSetting: 'MAX_CLASSES',
        };
        const header = await writeIdxFile(source, spec, staged).catch((err: unknown) => {
          throw stagingError(err);
        });
        headers.set(field, header);
        await storage.putFile(`${dir}${IDX_FILE_NAMES[field]}`, staged);
      } finally {
        await rm(staged, { force: true });
      }
    },

    async commit(name, classes = {}): Promise<DatasetInfo> {
      if (state !== 'open') throw new Error(`upload ${id} is ${state}`);
      const missing = UPLOAD_FIELDS.filter((f) => !headers.has(f));
      if (missing.length > 0) {
        const fields = missing.map((f) => fieldError(f, 'is required'));
        throw new BadRequestError(`missing file field(s): ${missing.join(', ')}`, 'MISSING_FIELD', fields);
      }
      const count = (f: UploadField) => headers.get(f)!.count;
      checkSplitCounts('train', count('trainImages'), count('trainLabels'));
      checkSplitCounts('test', count('testImages'), count('testLabels'));
      const given = classes.labels && checkClassLabels(classes.labels, opts.maxClasses);
      const labels = uploadLabels(
        given,
        Math.max(headers.get('trainLabels')!.maxLabel, headers.get('testLabels')!.maxLabel),
        opts.maxClasses,
      );
      // A class that was named but never trained on could never be predicted: most likely labels off by one.
      if (given) {
        const trainCounts = headers.get('trainLabels')!.labelCounts;
        const empty = given.findIndex((_, k) => !trainCounts[k]);
        if (empty >= 0) {
          throw new InvalidInputError(
            `labels: class ${empty} (${JSON.stringify(given[empty])}) has no training images; every named class needs some`,
            'INVALID_LABELS',
          );
        }
      }
      const info: DatasetInfo = {
        id,
        name,
        builtin: false,
        tenant: opts.tenant,
        available: true,
        trainSize: count('trainImages'),
        testSize: count('testImages'),
        imageShape: IMAGE_SHAPE,
        classes: labels.length,
        labels,
        preprocess: classes.preprocess ?? 'mnist',
        createdAt: new Date().toISOString(),
      };
      const bytes = [...headers.values()].reduce((sum, h) => sum + h.bytes, 0);
      const marker: DatasetMarker = { ...info, owner, bytes };
      // Written last: the commit marker.
      await storage.put(`${dir}${INFO_FILE}`, Buffer.from(`${JSON.stringify(marker, null, 2)}\n`));
      state = 'committed';
      ticket.commit();
      return info;
    },

    async abort() {
      if (state !== 'open') return;
      state = 'aborted';
      try {
        // Unmarked files are never seen; removing them only saves space (the sweep would too).
        if (headers.size > 0) await storage.deletePrefix(dir).catch(() => {});
      } finally {
        ticket.release();
      }
    },
  };
}

const STAGING_GRACE_MS = 60 * 60_000;

/**
 * Removes staging files over an hour old: what a process that crashed mid-upload left behind
 * (names start with their creation time). Files of uploads still running are younger.
 */
export async function sweepStaging(stagingDir: string, now = Date.now()): Promise<number> {
  const names = await readdir(stagingDir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const born = parseInt(name.split('-')[0] ?? '', 36);
    if (Number.isFinite(born) && now - born > STAGING_GRACE_MS) {
      await rm(join(stagingDir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** The uploads' staging directory under DATA_DIR: a dot name, which storage listings skip. */
export const stagingDirOf = (dataDir: string) => join(dataDir, '.staging');
