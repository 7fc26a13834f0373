import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidInputError } from '../../errors.js';
import { pipeToNewFile } from '../../storage/local-file.js';
import type { DatasetImport } from '../../schemas/dataset-import.js';
import { IMAGE_SHAPE } from '../../schemas/image-shape.js';
import type { DatasetImportSession } from '../types.js';
import { newUploadId, type UploadOptions } from '../upload.js';
import type { UploadTicket } from '../upload-quota.js';
import { ARCHIVE_FIELD, sourceKey, writeImportRecord, type ImportField, type ImportRecord } from './records.js';

/**
 * The API's half of an import: each uploaded file streams to a staging file and is copied into
 * storage under `datasets/<id>/source/`, its bytes reserved against the owner's quota; commit()
 * writes the import record (state `importing`), after which the caller queues the import job.
 */

/** Refuses, from its first bytes, an `archive` that is neither a ZIP nor a (gzipped) tar. */
function archiveSniffer(found: (format: DatasetImport['format']) => void): Transform {
  let head = Buffer.alloc(0);
  let decided = false;
  const check = (final: boolean): Error | undefined => {
    if (decided || (!final && head.length < 262)) return undefined;
    decided = true;
    const zip = head.length >= 4 && [0x04034b50, 0x06054b50].includes(head.readUInt32LE(0));
    const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    const tar = head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar';
    if (zip || gzip || tar) found(zip ? 'zip' : gzip ? 'tar.gz' : 'tar');
    return zip || gzip || tar
      ? undefined
      : new InvalidInputError('archive: not a ZIP, tar or gzipped tar file', 'INVALID_ARCHIVE');
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (!decided) head = Buffer.concat([head, chunk]).subarray(0, 262);
      done(check(false) ?? null, chunk);
    },
    flush(done: TransformCallback) {
      done(check(true) ?? null);
    },
  });
}

export function startImport(opts: UploadOptions, owner: string, ticket: UploadTicket): DatasetImportSession {
  const { storage } = opts;
  const id = newUploadId();
  const sources: ImportField[] = [];
  let bytes = 0;
  let format: DatasetImport['format'] = 'csv';
  let state: 'open' | 'committed' | 'aborted' = 'open';
  return {
    id,

    async addSource(field, source) {
      if (state !== 'open') throw new Error(`import ${id} is ${state}`);
      const staged = join(opts.stagingDir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done: TransformCallback) {
          size += chunk.length;
          done(null, chunk);
        },
      });
      try {
        await mkdir(opts.stagingDir, { recursive: true });
        const steps = field === ARCHIVE_FIELD ? [archiveSniffer((f) => (format = f)), counter] : [counter];
        await pipeToNewFile(staged, source, ...steps);
        if (size === 0) throw new InvalidInputError(`${field}: the file is empty`, 'EMPTY_FILE');
        // The upload's own size counts now; what it unpacks to counts when the import ends.
        ticket.reserve(size, field);
        bytes += size;
        sources.push(field);
        await storage.putFile(sourceKey(id, field), staged);
      } finally {
        await rm(staged, { force: true });
      }
    },

    async commit(name, params) {
      if (state !== 'open') throw new Error(`import ${id} is ${state}`);
      const record: ImportRecord = {
        id,
        name,
        builtin: false,
        tenant: opts.tenant,
        available: false,
        note: 'importing',
        trainSize: 0,
        testSize: 0,
        imageShape: IMAGE_SHAPE,
        classes: 0,
        labels: [],
        preprocess: params.preprocess,
        createdAt: new Date().toISOString(),
        state: 'importing',
        import: { format, ...params, progress: { filesRead: 0, imagesKept: 0, imagesSkipped: 0 } },
        owner,
        bytes,
        sources,
      };
      await writeImportRecord(storage, record);
      state = 'committed';
      ticket.commit();
      const { owner: _o, bytes: _b, sources: _s, ...info } = record;
      return info;
    },

    async abort() {
      if (state !== 'open') return;
      state = 'aborted';
      try {
        if (sources.length > 0) await storage.deletePrefix(`datasets/${id}/`).catch(() => {});
      } finally {
        ticket.release();
      }
    },
  };
}
