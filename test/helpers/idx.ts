/**
 * Builders of small IDX files (the MNIST format) for tests: 28×28 unsigned-byte images and
 * 0–9 labels by default. Gzip the result with `zlib.gzipSync` to test compressed uploads.
 */

import { gzipSync } from 'node:zlib';

/**
 * An IDX image file of `count` images. `fill(i)` returns image i's rows × cols pixels; by
 * default image i is a distinct, non-constant pattern ((i + p) mod 256 for pixel p).
 */
export function makeIdxImages(
  count: number,
  fill?: (i: number) => Uint8Array,
  shape: { rows?: number; cols?: number } = {},
): Buffer {
  const rows = shape.rows ?? 28;
  const cols = shape.cols ?? 28;
  const pixels = rows * cols;
  const buf = Buffer.alloc(16 + count * pixels);
  buf.writeUInt32BE(0x00000803, 0);
  buf.writeUInt32BE(count, 4);
  buf.writeUInt32BE(rows, 8);
  buf.writeUInt32BE(cols, 12);
  for (let i = 0; i < count; i++) {
    let image: Uint8Array;
    if (fill) {
      image = fill(i);
      if (image.length !== pixels) throw new Error(`fill(${i}) returned ${image.length} pixels, expected ${pixels}`);
    } else {
      image = new Uint8Array(pixels);
      for (let p = 0; p < pixels; p++) image[p] = (i + p) % 256;
    }
    buf.set(image, 16 + i * pixels);
  }
  return buf;
}

/** An IDX label file holding `labels` (each written as one byte, not range-checked). */
export function makeIdxLabels(labels: ArrayLike<number>): Buffer {
  const buf = Buffer.alloc(8 + labels.length);
  buf.writeUInt32BE(0x00000801, 0);
  buf.writeUInt32BE(labels.length, 4);
  for (let i = 0; i < labels.length; i++) buf[8 + i] = labels[i]!;
  return buf;
}

/**
 * The four files of a small dataset, named like the upload fields, with labels i mod `classes`
 * (default 10) so that every class occurs once there are at least that many images.
 */
export function makeIdxFiles(
  trainCount: number,
  testCount: number,
  classes = 10,
): { trainImages: Buffer; trainLabels: Buffer; testImages: Buffer; testLabels: Buffer } {
  const labels = (n: number) => Array.from({ length: n }, (_, i) => i % classes);
  return {
    trainImages: makeIdxImages(trainCount),
    trainLabels: makeIdxLabels(labels(trainCount)),
    testImages: makeIdxImages(testCount),
    testLabels: makeIdxLabels(labels(testCount)),
  };
}

/** An image header claiming `count` 28×28 images, followed by `bodyBytes` zero bytes: a file that may lie. */
export function lyingImages(count: number, bodyBytes = 0): Buffer {
  const buf = Buffer.alloc(16 + bodyBytes);
  buf.writeUInt32BE(0x803, 0);
  buf.writeUInt32BE(count, 4);
  buf.writeUInt32BE(28, 8);
  buf.writeUInt32BE(28, 12);
  return buf;
}

/** Concatenated gzip members (valid gzip) inflating to `header` then `megabytes` MiB of zeros, from ~1 KB each. */
export function gzipBomb(header: Buffer, megabytes: number): Buffer {
  const zerosMember = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
  return Buffer.concat([gzipSync(header), ...Array.from({ length: megabytes }, () => zerosMember)]);
}

/**
 * A learnable IDX dataset of `classes` classes: image i of class k is a bright horizontal band at
 * rows 2k+2 … 2k+5 (of a 28-row image, so up to 12 classes) over faint noise, seeded by `seed`.
 */
export function makeBandsIdx(classes: number, count: number, seed: number): { images: Buffer; labels: Buffer } {
  let state = seed >>> 0 || 1;
  const rand = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const labels = Array.from({ length: count }, (_, i) => i % classes);
  const images = makeIdxImages(count, (i) => {
    const k = labels[i]!;
    const image = new Uint8Array(784);
    for (let p = 0; p < 784; p++) {
      const row = Math.floor(p / 28);
      image[p] = row >= 2 * k + 2 && row < 2 * k + 6 ? 160 + Math.floor(rand() * 90) : Math.floor(rand() * 50);
    }
    return image;
  });
  return { images, labels: makeIdxLabels(labels) };
}
