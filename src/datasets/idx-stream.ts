import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { InvalidInputError } from '../errors.js';
import { pipeToNewFile } from '../storage/local-file.js';
import { gzipError } from './gunzip-capped.js';
import { badLabel, IDX_HEADER_BYTES, readImagesHeader, readLabelsHeader, sizeMismatch, type IdxHeader } from './idx.js';

/**
 * The upload path of IDX files: one file streamed from the client through gunzip (when it is
 * gzipped) and a validator into a file, never whole in memory. The validator reads the header
 * first and lets the caller refuse it (size limits, quotas) before any data is accepted; after
 * that it lets through exactly the bytes the header declares, so a gzip bomb stops at what it
 * announced, and it checks every label on the way.
 */

export type IdxKind = keyof typeof IDX_HEADER_BYTES;

export interface IdxFileSpec {
  /** The upload field, e.g. "trainImages": every message starts with it. */
  what: string;
  kind: IdxKind;
  /** Called once with the header, before any data is written; throws to refuse the file. */
  accept(header: IdxHeader): void;
  /** Labels must be below this (default 10); `classesSetting` names where the figure comes from. */
  classes?: number;
  classesSetting?: string;
}

/** A validated file's header and, for labels, the highest label it holds (−1 for images) and how often each occurs. */
export interface WrittenIdx extends IdxHeader {
  maxLabel: number;
  /** Images of each label 0…classes − 1 (empty for images). */
  labelCounts: number[];
}

/** Streams `source` (gzipped or not) into a new file at `path`; returns the validated header. */
export async function writeIdxFile(source: Readable, spec: IdxFileSpec, path: string): Promise<WrittenIdx> {
  let header: IdxHeader | undefined;
  const counts = new Array<number>(spec.kind === 'labels' ? (spec.classes ?? 10) : 0).fill(0);
  let gzipped = false;
  // The file exists before the data flows and is closed before this returns, so the caller's
  // cleanup finds it however early the stream fails.
  await pipeToNewFile(
    path,
    source,
    (input) => inflateIfGzipped(input, spec.what, () => (gzipped = true)),
    (inflated) =>
      validateIdx(
        inflated,
        spec,
        () => gzipped,
        (h) => (header = h),
        counts,
      ),
  );
  let maxLabel = counts.length - 1;
  while (maxLabel >= 0 && counts[maxLabel] === 0) maxLabel--;
  return { ...header!, maxLabel, labelCounts: counts };
}

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Zlib's own failures (corrupt or truncated data) as the client's error; anything else passes through. */
function isZlibError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * The input as it is, or inflated when it starts with the gzip magic (1f 8b). Concatenated
 * members are inflated one after another, as gunzip(1) does. Output is pulled chunk by chunk
 * (16 KiB), so a consumer that stops reading stops the inflation.
 */
async function* inflateIfGzipped(input: AsyncIterable<Buffer>, what: string, onGzip: () => void) {
  const it = input[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 2 && !ended) {
    const next = await it.next();
    if (next.done) ended = true;
    else head = Buffer.concat([head, next.value]);
  }
  async function* all() {
    if (head.length > 0) yield head;
    if (ended) return;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  if (!isGzip(head)) {
    yield* all();
    return;
  }
  onGzip();
  const compressed = Readable.from(all(), { objectMode: false });
  const gunzip = zlib.createGunzip();
  compressed.on('error', (err) => gunzip.destroy(err));
  compressed.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    throw isZlibError(err) ? gzipError(what, err) : err;
  } finally {
    compressed.destroy();
    gunzip.destroy();
  }
}

/** Passes through exactly the bytes the header declares, checking the header, the size and every label. */
async function* validateIdx(
  input: AsyncIterable<Buffer>,
  spec: IdxFileSpec,
  gzipped: () => boolean,
  onHeader: (header: IdxHeader) => void,
  counts: number[],
) {
  const { what, kind } = spec;
  const classes = spec.classes ?? 10;
  const headerBytes = IDX_HEADER_BYTES[kind];
  const readHeader = kind === 'images' ? readImagesHeader : readLabelsHeader;
  let head = Buffer.alloc(0);
  let header: IdxHeader | undefined;
  let seen = 0;
  for await (const data of input) {
    let chunk = data;
    if (!header) {
      head = Buffer.concat([head, chunk]);
      if (head.length < headerBytes) continue;
      header = readHeader(head, what);
      spec.accept(header);
      onHeader(header);
      chunk = head;
    }
    const offset = seen;
    seen += chunk.length;
    if (seen > header.bytes) {
      throw gzipped()
        ? new InvalidInputError(
            `${what}: decompresses to more than the ${header.bytes} bytes its header declares`,
            'INVALID_IDX',
          )
        : sizeMismatch(what, kind, header, `more than ${header.bytes}`);
    }
    if (kind === 'labels') {
      for (let i = Math.max(0, headerBytes - offset); i < chunk.length; i++) {
        if (chunk[i]! >= classes)
          throw badLabel(what, chunk[i]!, offset + i - headerBytes, classes, spec.classesSetting);
        counts[chunk[i]!]!++;
      }
    }
    yield chunk;
  }
  // Fewer bytes than a header: the header reader names what is wrong (magic, truncation).
  header ??= readHeader(head, what);
  if (seen !== header.bytes) throw sizeMismatch(what, kind, header, String(seen));
}
