import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { ImportRejectedError } from '../datasets/import/errors.js';
import { MAX_RATIO, RATIO_FLOOR_BYTES, fmtBytes, shownName, type ArchiveEntry, type ArchiveLimits } from './entries.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(
      path,
      // Sizes are checked against what inflates; names are checked by yauzl ("..", absolute).
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: true, strictFileNames: false },
      (err, zip) => (err ? reject(rejected(err)) : resolve(zip)),
    ),
  );
}

/**
 * yauzl's own refusals are the archive's fault, whatever their wording (it reads a local file this
 * process wrote); only a system error (EIO, ENOSPC: it has a `code`) is the server's, and retried.
 */
function rejected(err: Error): Error {
  if (err instanceof ImportRejectedError || typeof (err as NodeJS.ErrnoException).code === 'string') return err;
  const m = shownName(err.message); // yauzl's messages quote entry names, which may be 64 KiB long
  if (/absolute path|invalid relative path/.test(m))
    return new ImportRejectedError(`zip entry refused (zip slip): ${m}`);
  return new ImportRejectedError(`not a readable ZIP archive: ${m}`);
}

/**
 * The entries of a ZIP file on local disk (yauzl reads its central directory and each entry at
 * random). The entry count and every entry's declared size are checked before its data is read;
 * what actually inflates is checked against the declared size by yauzl.
 */
export async function* zipEntries(path: string, limits: ArchiveLimits): AsyncGenerator<ArchiveEntry> {
  const zip = await openZip(path);
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new ImportRejectedError(
        `the archive holds ${zip.entryCount.toLocaleString('en-US')} entries; at most ${limits.maxEntries.toLocaleString('en-US')} (MAX_IMPORT_FILES)`,
      );
    }
    let declared = 0;
    for (;;) {
      const entry = await nextEntry(zip);
      if (!entry) return;
      const size = entry.uncompressedSize;
      declared += size;
      if (declared > limits.maxUnpackedBytes) {
        throw new ImportRejectedError(
          `the archive unpacks to more than ${fmtBytes(limits.maxUnpackedBytes)} (MAX_IMPORT_UNPACKED_BYTES): a ZIP bomb or too much data`,
        );
      }
      if (size > RATIO_FLOOR_BYTES && size / Math.max(1, entry.compressedSize) > MAX_RATIO) {
        throw new ImportRejectedError(
          `${shownName(entry.fileName)}: ${fmtBytes(entry.compressedSize)} inflate to ${fmtBytes(size)}, a ratio over ${MAX_RATIO}:1 (a ZIP bomb)`,
        );
      }
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      const kind = entry.fileName.endsWith('/') ? 'dir' : mode === S_IFLNK ? 'link' : 'file';
      yield { path: entry.fileName, kind, size, read: () => readEntry(zip, entry) };
    }
  } finally {
    zip.close();
  }
}

function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (e: Entry) => (cleanup(), resolve(e));
    const onEnd = () => (cleanup(), resolve(undefined));
    const onError = (err: Error) => (cleanup(), reject(rejected(err)));
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function readEntry(zip: ZipFile, entry: Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(rejected(err));
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e: Error) =>
        reject(new ImportRejectedError(`${shownName(entry.fileName)}: ${rejected(e).message}`)),
      );
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}
