import { readFile, stat } from 'node:fs/promises';
import zlib from 'node:zlib';
import { InvalidInputError } from '../errors.js';
import { IMAGE_SIDE, INPUT_SIZE } from '../schemas/image-shape.js';
import type { Split } from './types.js';

/**
 * The one reader of IDX files (the MNIST format) for built-in datasets and uploads alike.
 * An IDX file is a 4-byte magic (0, 0, type, ndims), ndims big-endian uint32 sizes, then the
 * data. Only unsigned-byte files are used: count×28×28 images and count labels.
 */

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;
const IMAGES_HEADER = 16;
const LABELS_HEADER = 8;
const UBYTE = 0x08;

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function checkMagic(buf: Uint8Array, what: string, expected: number, kind: string): void {
  if (buf.length < 4) {
    throw new InvalidInputError(`${what}: not an IDX ${kind} file (only ${buf.length} bytes)`, 'INVALID_IDX');
  }
  const magic = view(buf).getUint32(0);
  if (magic === expected) return;
  // Same element type but an unusual rank (neither images nor labels): say what is wrong with
  // it. A label file given as images (or the reverse) gets the plain "not an IDX … file".
  const known = magic === IDX_IMAGES_MAGIC || magic === IDX_LABELS_MAGIC;
  if (!known && magic >>> 8 === expected >>> 8) {
    const ndims = magic & 0xff;
    throw new InvalidInputError(
      `${what}: IDX ${kind} file must have ${expected & 0xff} dimension(s), this one has ${ndims} (magic ${hex(magic)})`,
      'INVALID_IDX',
    );
  }
  throw new InvalidInputError(
    `${what}: not an IDX ${kind} file (magic ${hex(magic)}, expected ${hex(expected)})`,
    'INVALID_IDX',
  );
}

/** The declared shape of an IDX file: how many images or labels, and the file's exact size. */
export interface IdxHeader {
  count: number;
  bytes: number;
}

export const IDX_HEADER_BYTES = { images: IMAGES_HEADER, labels: LABELS_HEADER } as const;

/** Checks an image file's magic and 28×28 dimensions from its first bytes (at least 16, or all there are). */
export function readImagesHeader(buf: Uint8Array, what: string): IdxHeader {
  checkMagic(buf, what, IDX_IMAGES_MAGIC, 'image');
  if (buf.length < IMAGES_HEADER) {
    throw new InvalidInputError(
      `${what}: truncated IDX header (${buf.length} bytes, expected at least ${IMAGES_HEADER})`,
      'INVALID_IDX',
    );
  }
  const dv = view(buf);
  const count = dv.getUint32(4);
  const rows = dv.getUint32(8);
  const cols = dv.getUint32(12);
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) {
    throw new InvalidInputError(
      `${what}: images are ${rows}×${cols}, only ${IMAGE_SIDE}×${IMAGE_SIDE} is supported`,
      'INVALID_IDX',
    );
  }
  // At most 2^32 × 784 ≈ 3.4e12: exact in a double, so no overflow in this check.
  return { count, bytes: IMAGES_HEADER + count * INPUT_SIZE };
}

/** Checks a label file's magic from its first bytes (at least 8, or all there are). */
export function readLabelsHeader(buf: Uint8Array, what: string): IdxHeader {
  checkMagic(buf, what, IDX_LABELS_MAGIC, 'label');
  if (buf.length < LABELS_HEADER) {
    throw new InvalidInputError(
      `${what}: truncated IDX header (${buf.length} bytes, expected at least ${LABELS_HEADER})`,
      'INVALID_IDX',
    );
  }
  const count = view(buf).getUint32(4);
  return { count, bytes: LABELS_HEADER + count };
}

/** The error for a file whose length is not what its header declares. */
export function sizeMismatch(what: string, kind: 'images' | 'labels', header: IdxHeader, actual: string): Error {
  return new InvalidInputError(
    `${what}: header declares ${header.count} ${kind} (${header.bytes} bytes) but the file has ${actual} bytes`,
    'INVALID_IDX',
  );
}

/** The error for a label outside 0–9 at label index `index`. */
export function badLabel(what: string, label: number, index: number): Error {
  return new InvalidInputError(`${what}: label ${label} at index ${index} is outside 0–9`, 'INVALID_IDX');
}

/** Images as a view into `buf` (no copy). The length is checked against the header before anything is allocated. */
export function parseIdxImages(buf: Uint8Array, what: string): { count: number; images: Uint8Array } {
  const header = readImagesHeader(buf, what);
  if (buf.length !== header.bytes) throw sizeMismatch(what, 'images', header, String(buf.length));
  return { count: header.count, images: buf.subarray(IMAGES_HEADER, header.bytes) };
}

/** Labels as a view into `buf` (no copy); every label must be 0–9. */
export function parseIdxLabels(buf: Uint8Array, what: string): { count: number; labels: Uint8Array } {
  const header = readLabelsHeader(buf, what);
  if (buf.length !== header.bytes) throw sizeMismatch(what, 'labels', header, String(buf.length));
  const labels = buf.subarray(LABELS_HEADER, header.bytes);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! > 9) throw badLabel(what, labels[i]!, i);
  }
  return { count: header.count, labels };
}

/**
 * Size an uncompressed IDX file must have according to its header, or undefined when the bytes
 * are too few or not an unsigned-byte IDX header. Works for any rank so that a wrong-shaped
 * file still inflates and then gets the parser's precise message.
 */
function declaredIdxSize(head: Uint8Array): { bytes: number; items: number; kind: string } | undefined {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || head[2] !== UBYTE) return undefined;
  const ndims = head[3]!;
  const headerBytes = 4 + 4 * ndims;
  if (ndims === 0 || head.length < headerBytes) return undefined;
  const dv = view(head);
  let bytes = 1;
  for (let d = 0; d < ndims; d++) bytes *= dv.getUint32(4 + 4 * d);
  const kind = ndims === 3 ? 'images' : ndims === 1 ? 'labels' : 'items';
  return { bytes: headerBytes + bytes, items: dv.getUint32(4), kind };
}

export function gzipError(what: string, err: unknown): InvalidInputError {
  const detail = err instanceof Error ? err.message : String(err);
  return new InvalidInputError(`${what}: not valid gzip data (${detail})`, 'INVALID_GZIP');
}

/** The largest IDX header read before the declared size is known (3 dims: 4 + 3×4 bytes). */
const HEAD_BYTES = IMAGES_HEADER;
/** Most output one header probe may produce; far more than any real file yields before 16 bytes. */
const HEAD_PROBE_CAP = 64 * 1024;

/** Inflates the first `n` input bytes as far as they go, or 'over' past HEAD_PROBE_CAP bytes of output. */
function probe(buf: Uint8Array, n: number, what: string): Buffer | 'over' {
  try {
    // A sync flush returns what has been decoded so far instead of failing on the cut-off end.
    return zlib.gunzipSync(buf.subarray(0, n), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      maxOutputLength: HEAD_PROBE_CAP,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return 'over';
    throw gzipError(what, err);
  }
}

/**
 * Decompresses just enough of a gzip stream to see the IDX header, never more than
 * HEAD_PROBE_CAP bytes. Growing prefixes find it at once in real files; a crafted file that
 * hides a bomb behind a long gzip header or empty deflate blocks makes a prefix overshoot
 * the cap, and a binary search then narrows down to a prefix in between, which exists
 * because one more input byte adds at most ~1 KB of output (deflate's 1032:1 limit).
 */
function inflateHead(buf: Uint8Array, what: string): Buffer {
  let lo = 0; // a prefix known to give fewer than HEAD_BYTES bytes
  let hi = -1; // a prefix known to give more than HEAD_PROBE_CAP bytes
  for (let n = Math.min(256, buf.length); hi < 0; n = Math.min(n * 4, buf.length)) {
    const out = probe(buf, n, what);
    if (out === 'over') hi = n;
    else if (out.length >= HEAD_BYTES) return out;
    else if (n === buf.length) {
      // The whole stream gives less than a header: a strict pass reports a truncated stream;
      // otherwise the tiny output goes to the parser, which names what is missing.
      try {
        return zlib.gunzipSync(buf, { maxOutputLength: HEAD_BYTES });
      } catch (err) {
        throw gzipError(what, err);
      }
    } else lo = n;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const out = probe(buf, mid, what);
    if (out === 'over') hi = mid;
    else if (out.length >= HEAD_BYTES) return out;
    else lo = mid;
  }
  throw new InvalidInputError(`${what}: not valid gzip data (no IDX header within its first bytes)`, 'INVALID_GZIP');
}

/**
 * Un-gzips IDX data if it starts with the gzip magic (1f 8b), else returns it unchanged.
 * The header is inflated first and a file declaring more than `maxBytes` is refused before
 * the rest is inflated; the full inflation is then capped at the declared size, so a gzip
 * bomb never expands beyond what its header announced.
 */
export function inflateIdx(buf: Uint8Array, what: string, maxBytes: number): Uint8Array {
  const plan = planInflate(buf, what, maxBytes);
  if (plan instanceof Uint8Array) return plan;
  try {
    return zlib.gunzipSync(buf, { maxOutputLength: plan });
  } catch (err) {
    throw inflateError(what, plan, err);
  }
}

/** The data itself when there is nothing to inflate, else the size to inflate to (checked against maxBytes). */
function planInflate(buf: Uint8Array, what: string, maxBytes: number): Uint8Array | number {
  if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) return buf;
  const head = inflateHead(buf, what);
  const declared = declaredIdxSize(head);
  // Not an IDX header: the decoded prefix is enough for the parser to name the wrong magic.
  if (!declared) return head;
  if (declared.bytes > maxBytes) {
    throw new InvalidInputError(
      `${what}: header declares ${declared.items} ${declared.kind} (${declared.bytes} bytes uncompressed), ` +
        `more than the limit of ${maxBytes} bytes`,
      'IDX_TOO_LARGE',
    );
  }
  return declared.bytes;
}

function inflateError(what: string, declaredBytes: number, err: unknown): Error {
  if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new InvalidInputError(
      `${what}: decompresses to more than the ${declaredBytes} bytes its header declares`,
      'INVALID_IDX',
    );
  }
  return gzipError(what, err);
}

/** Parses an already-inflated image/label pair; `prefix` ("train", "test") names the split in messages. */
export function parseIdxPair(images: Uint8Array, labels: Uint8Array, prefix: string): Split {
  const img = parseIdxImages(images, `${prefix}Images`);
  const lab = parseIdxLabels(labels, `${prefix}Labels`);
  checkSplitCounts(prefix, img.count, lab.count);
  return { count: img.count, images: img.images, labels: lab.labels };
}

/** One label per image, and at least one image: an empty split cannot be trained on or evaluated. */
export function checkSplitCounts(prefix: string, images: number, labels: number): void {
  if (images !== labels) {
    throw new InvalidInputError(`${prefix}: ${images} images but ${labels} labels`, 'INVALID_IDX');
  }
  if (images === 0) throw new InvalidInputError(`${prefix}: the files hold no images`, 'INVALID_IDX');
}

/** Inflates (if gzipped) and parses one split; see inflateIdx for `maxBytes`. */
export function readIdxPair(imagesBuf: Uint8Array, labelsBuf: Uint8Array, whatPrefix: string, maxBytes: number): Split {
  const images = inflateIdx(imagesBuf, `${whatPrefix}Images`, maxBytes);
  const labels = inflateIdx(labelsBuf, `${whatPrefix}Labels`, maxBytes);
  return parseIdxPair(images, labels, whatPrefix);
}

/** The existing one of `path` and `path.gz`, or undefined when neither is a file. */
export async function findIdxFile(path: string): Promise<string | undefined> {
  for (const candidate of [path, `${path}.gz`]) {
    const st = await stat(candidate).catch(() => undefined);
    if (st?.isFile()) return candidate;
  }
  return undefined;
}

/** Reads `path`, or `path.gz` when only the gzipped file exists; the bytes are returned as stored. */
export async function readIdxFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    return await readFile(`${path}.gz`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw Object.assign(new Error(`${path} not found (nor ${path}.gz)`), { code: 'ENOENT' });
  }
}
