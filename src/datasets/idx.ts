import { InvalidInputError } from '../errors.js';
import { DIGIT_CLASSES, IMAGE_SIDE, INPUT_SIZE } from '../schemas/image-shape.js';
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

/** The error for a label outside 0…classes − 1 at label index `index`; `setting` names the limit when one applies. */
export function badLabel(what: string, label: number, index: number, classes = DIGIT_CLASSES, setting?: string): Error {
  const why = setting ? ` (${setting} is ${classes})` : '';
  return new InvalidInputError(
    `${what}: label ${label} at index ${index} is outside 0–${classes - 1}${why}`,
    'INVALID_IDX',
  );
}

/** Images as a view into `buf` (no copy). The length is checked against the header before anything is allocated. */
export function parseIdxImages(buf: Uint8Array, what: string): { count: number; images: Uint8Array } {
  const header = readImagesHeader(buf, what);
  if (buf.length !== header.bytes) throw sizeMismatch(what, 'images', header, String(buf.length));
  return { count: header.count, images: buf.subarray(IMAGES_HEADER, header.bytes) };
}

/** Labels as a view into `buf` (no copy); every label must be below `classes`. */
export function parseIdxLabels(
  buf: Uint8Array,
  what: string,
  classes = DIGIT_CLASSES,
): { count: number; labels: Uint8Array } {
  const header = readLabelsHeader(buf, what);
  if (buf.length !== header.bytes) throw sizeMismatch(what, 'labels', header, String(buf.length));
  const labels = buf.subarray(LABELS_HEADER, header.bytes);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= classes) throw badLabel(what, labels[i]!, i, classes);
  }
  return { count: header.count, labels };
}

/**
 * Size an uncompressed IDX file must have according to its header, or undefined when the bytes
 * are too few or not an unsigned-byte IDX header. Works for any rank so that a wrong-shaped
 * file still inflates and then gets the parser's precise message.
 */
export function declaredIdxSize(head: Uint8Array): { bytes: number; items: number; kind: string } | undefined {
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

/** Parses an already-inflated image/label pair; `prefix` ("train", "test") names the split in messages. */
export function parseIdxPair(images: Uint8Array, labels: Uint8Array, prefix: string, classes = DIGIT_CLASSES): Split {
  const img = parseIdxImages(images, `${prefix}Images`);
  const lab = parseIdxLabels(labels, `${prefix}Labels`, classes);
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
