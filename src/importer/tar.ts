import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { ImportRejectedError } from '../datasets/import/errors.js';
import { MAX_RATIO, fmtBytes, shownName, type ArchiveEntry, type ArchiveLimits } from './entries.js';

/** Past this much output, a gzip stream inflating by more than MAX_RATIO is called a bomb. */
const GZIP_RATIO_FLOOR = 64 * 1024 * 1024;

/** Counts what gunzip makes of what it is given, and stops it past the limits. */
function gzipGuard(limits: ArchiveLimits, consumed: () => number): Transform {
  let out = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      out += chunk.length;
      if (out > limits.maxUnpackedBytes) {
        return done(
          new ImportRejectedError(
            `the archive unpacks to more than ${fmtBytes(limits.maxUnpackedBytes)} (MAX_IMPORT_UNPACKED_BYTES): a gzip bomb or too much data`,
          ),
        );
      }
      if (out > GZIP_RATIO_FLOOR && out / Math.max(1, consumed()) > MAX_RATIO) {
        return done(new ImportRejectedError(`the gzip stream inflates by more than ${MAX_RATIO}:1 (a gzip bomb)`));
      }
      done(null, chunk);
    },
  });
}

const kindOf = (type: Header['type']): ArchiveEntry['kind'] => {
  if (type === 'file' || type === 'contiguous-file') return 'file';
  if (type === 'directory') return 'dir';
  if (type === 'symlink' || type === 'link') return 'link';
  return 'other';
};

/**
 * The entries of a tar file, gzipped or not, streamed from local disk: nothing is held but the
 * entry being read. An entry not read is drained before the next one comes.
 */
export async function* tarEntries(path: string, gzipped: boolean, limits: ArchiveLimits): AsyncGenerator<ArchiveEntry> {
  const file = createReadStream(path);
  const extractor = extract();
  const fail = (err: Error) =>
    extractor.destroy(
      err instanceof ImportRejectedError ? err : new ImportRejectedError(`not a readable tar archive: ${err.message}`),
    );
  if (gzipped) {
    const gunzip = createGunzip();
    gunzip.on('error', (err) => fail(new ImportRejectedError(`not valid gzip: ${err.message}`)));
    const guard = gzipGuard(limits, () => file.bytesRead);
    guard.on('error', fail);
    file.pipe(gunzip).pipe(guard).pipe(extractor);
  } else {
    file.pipe(extractor);
  }
  file.on('error', fail);
  let count = 0;
  try {
    for await (const entry of extractor) {
      if (++count > limits.maxEntries) {
        throw new ImportRejectedError(
          `the archive holds more than ${limits.maxEntries.toLocaleString('en-US')} entries (MAX_IMPORT_FILES)`,
        );
      }
      const { name, type, size = 0 } = entry.header;
      let used = false;
      const read = async () => {
        used = true;
        const chunks: Buffer[] = [];
        try {
          for await (const c of entry) chunks.push(c as Buffer);
        } catch (err) {
          // A tar cut short inside this entry: tar-stream's own error, the archive's fault.
          if (err instanceof ImportRejectedError) throw err;
          throw new ImportRejectedError(`not a readable tar archive: ${shownName(name)}: ${(err as Error).message}`);
        }
        return Buffer.concat(chunks);
      };
      yield { path: name, kind: kindOf(type), size, read };
      if (!used) entry.resume();
    }
  } catch (err) {
    if (err instanceof ImportRejectedError) throw err;
    throw new ImportRejectedError(`not a readable tar archive: ${(err as Error).message}`);
  } finally {
    file.destroy();
    extractor.destroy();
  }
}
