import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdxHeader } from '../../src/datasets/idx.js';
import { writeIdxFile, type IdxKind } from '../../src/datasets/idx-stream.js';
import { gzipBomb, lyingImages, makeIdxImages, makeIdxLabels } from '../helpers/idx.js';

const MB = 1024 * 1024;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'idx-stream-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** One gzip member whose deflate data starts with `emptyBlocks` empty stored blocks (5 bytes each, no output). */
function gzipBehindEmptyBlocks(data: Buffer, emptyBlocks: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const empty = Buffer.alloc(5 * emptyBlocks);
  for (let i = 0; i < emptyBlocks; i++) empty.writeUInt16LE(0xffff, 5 * i + 3); // BFINAL=0 BTYPE=00, LEN 0, NLEN ffff
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([header, empty, deflateRawSync(data), trailer]);
}

interface Outcome {
  header?: IdxHeader;
  error?: Error & { code?: string; statusCode?: number };
  accepted: IdxHeader[];
  written: number;
}

/** Streams `bytes` (in 64 KiB chunks, as a socket would) through writeIdxFile; reports what happened. */
async function run(
  bytes: Buffer,
  kind: IdxKind,
  refuseAbove = Infinity,
  classes: { classes?: number; classesSetting?: string } = {},
): Promise<Outcome> {
  const path = join(dir, randomBytes(6).toString('hex'));
  const accepted: IdxHeader[] = [];
  const chunks = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) =>
    bytes.subarray(i * 65536, (i + 1) * 65536),
  );
  const spec = {
    what: kind === 'images' ? 'trainImages' : 'trainLabels',
    kind,
    accept(h: IdxHeader) {
      if (h.bytes > refuseAbove) throw new Error(`refused ${h.bytes}`);
      accepted.push(h);
    },
    ...classes,
  };
  const outcome: Outcome = { accepted, written: 0 };
  try {
    outcome.header = await writeIdxFile(Readable.from(chunks), spec, path);
  } catch (err) {
    outcome.error = err as Outcome['error'];
  }
  outcome.written = (await stat(path).catch(() => ({ size: 0 }))).size;
  if (outcome.header) expect(Buffer.compare(await readFile(path), inflatedOf(bytes))).toBe(0);
  await rm(path, { force: true });
  return outcome;
}

const inflatedOf = (b: Buffer) => (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b);

describe('writeIdxFile', () => {
  it('writes plain, gzipped and multi-member gzipped files as their inflated bytes', async () => {
    const images = makeIdxImages(300);
    for (const input of [
      images,
      gzipSync(images),
      Buffer.concat([gzipSync(images.subarray(0, 5000)), gzipSync(images.subarray(5000))]),
    ]) {
      const out = await run(input, 'images');
      expect(out.error).toBeUndefined();
      expect(out.header).toEqual({ count: 300, bytes: 16 + 300 * 784, maxLabel: -1, labelCounts: [] });
      expect(out.accepted).toEqual([{ count: 300, bytes: 16 + 300 * 784 }]);
      expect(out.written).toBe(images.length);
    }
  });

  it('asks before writing: a refused header leaves the file empty, even for a 200 MB bomb', async () => {
    const out = await run(gzipBomb(lyingImages(255103, 0), 200), 'images', 10 * MB);
    expect(out.error?.message).toBe('refused 200000768');
    expect(out.written).toBe(0);
  });

  it('stops a gzip bomb at the size its header declares', async () => {
    const out = await run(gzipBomb(lyingImages(10, 10 * 784), 200), 'images');
    expect(out.error).toMatchObject({
      code: 'INVALID_IDX',
      statusCode: 400,
      message: 'trainImages: decompresses to more than the 7856 bytes its header declares',
    });
    expect(out.written).toBeLessThanOrEqual(7856);
  });

  it('finds the header behind 100,000 empty deflate blocks and refuses what it declares', async () => {
    const hidden = gzipBehindEmptyBlocks(lyingImages(255103, 784), 100_000);
    expect(hidden.length).toBeGreaterThan(500_000);
    const out = await run(hidden, 'images', 10 * MB);
    expect(out.error?.message).toBe('refused 200000768');
    expect(out.written).toBe(0);
    // And an honest file behind them is read whole.
    const honest = await run(gzipBehindEmptyBlocks(makeIdxImages(5), 10_000), 'images');
    expect(honest.header).toEqual({ count: 5, bytes: 16 + 5 * 784, maxLabel: -1, labelCounts: [] });
  });

  it('refuses an IDX file declaring 2^32-1 images by the size it declares', async () => {
    const out = await run(gzipSync(lyingImages(2 ** 32 - 1, 784)), 'images', 256 * MB);
    expect(out.accepted).toEqual([]);
    expect(out.error?.message).toBe(`refused ${16 + (2 ** 32 - 1) * 784}`);
  });

  it('refuses truncated and corrupt gzip with the messages of the in-memory reader', async () => {
    const gz = gzipSync(makeIdxImages(50));
    const truncated = await run(gz.subarray(0, gz.length / 2), 'images');
    expect(truncated.error).toMatchObject({
      code: 'INVALID_GZIP',
      message: 'trainImages: not valid gzip data (unexpected end of file)',
    });
    const corrupt = await run(Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 'images');
    expect(corrupt.error?.message).toMatch(/^trainImages: not valid gzip data \(.+\)$/);
  });

  it('checks the size against the header both ways', async () => {
    const images = makeIdxImages(20);
    const short = await run(images.subarray(0, images.length - 100), 'images');
    expect(short.error?.message).toBe(
      'trainImages: header declares 20 images (15696 bytes) but the file has 15596 bytes',
    );
    const long = await run(Buffer.concat([images, Buffer.alloc(10)]), 'images');
    expect(long.error?.message).toBe(
      'trainImages: header declares 20 images (15696 bytes) but the file has more than 15696 bytes',
    );
    const header = await run(images.subarray(0, 10), 'images');
    expect(header.error?.message).toBe('trainImages: truncated IDX header (10 bytes, expected at least 16)');
    const empty = await run(Buffer.alloc(0), 'labels');
    expect(empty.error?.message).toBe('trainLabels: not an IDX label file (only 0 bytes)');
  });

  it('checks every label, naming the first one out of range at the end of a big file', async () => {
    const labels = Array.from({ length: 1_000_000 }, (_, i) => i % 10);
    labels[999_999] = 10;
    const out = await run(gzipSync(makeIdxLabels(labels)), 'labels');
    expect(out.error).toMatchObject({
      code: 'INVALID_IDX',
      message: 'trainLabels: label 10 at index 999999 is outside 0–9',
    });
  });

  it('takes labels below the classes it is given, naming the setting past them, and reports the highest', async () => {
    const labels = Array.from({ length: 1000 }, (_, i) => i % 37);
    const spec = { classes: 40, classesSetting: 'MAX_CLASSES' };
    const ok = await run(gzipSync(makeIdxLabels(labels)), 'labels', Infinity, spec);
    expect(ok.error).toBeUndefined();
    // 1000 = 27 × 37 + 1: label 0 once more than the others; 37–39 never.
    const counts = Array.from({ length: 40 }, (_, k) => (k === 0 ? 28 : k < 37 ? 27 : 0));
    expect(ok.header).toEqual({ count: 1000, bytes: 1008, maxLabel: 36, labelCounts: counts });
    labels[500] = 40;
    const out = await run(makeIdxLabels(labels), 'labels', Infinity, spec);
    expect(out.error).toMatchObject({
      code: 'INVALID_IDX',
      message: 'trainLabels: label 40 at index 500 is outside 0–39 (MAX_CLASSES is 40)',
    });
  });

  it('refuses the wrong kind of file and wrong dimensions from the header', async () => {
    const asImages = await run(makeIdxLabels([1, 2, 3]), 'images');
    expect(asImages.error?.message).toBe('trainImages: not an IDX image file (magic 0x00000801, expected 0x00000803)');
    const big = await run(gzipSync(makeIdxImages(2, undefined, { rows: 32, cols: 32 })), 'images');
    expect(big.error?.message).toBe('trainImages: images are 32×32, only 28×28 is supported');
    expect(big.accepted).toEqual([]);
  });
});
