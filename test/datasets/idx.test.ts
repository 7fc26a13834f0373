import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { inflateIdx, parseIdxImages, parseIdxLabels, readIdxFile, readIdxPair } from '../../src/datasets/idx.js';
import { gzipBomb, lyingImages, makeIdxImages, makeIdxLabels } from '../helpers/idx.js';

const MB = 1024 * 1024;
const constantImage = (v: number) => new Uint8Array(784).fill(v);

/** The error `fn` throws, asserting it is an InvalidInputError. */
function invalid(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

describe('parseIdxImages / parseIdxLabels', () => {
  it('parses valid files into views of the input', () => {
    const buf = makeIdxImages(3, (i) => constantImage(i + 1));
    const { count, images } = parseIdxImages(buf, 'trainImages');
    expect(count).toBe(3);
    expect(images.length).toBe(3 * 784);
    expect([images[0], images[784], images[2 * 784 + 783]]).toEqual([1, 2, 3]);
    expect(images.buffer).toBe(buf.buffer);

    const labels = parseIdxLabels(makeIdxLabels([0, 5, 9]), 'trainLabels');
    expect(labels.count).toBe(3);
    expect([...labels.labels]).toEqual([0, 5, 9]);
  });

  it('rejects a truncated file', () => {
    const buf = makeIdxImages(3);
    expect(invalid(() => parseIdxImages(buf.subarray(0, buf.length - 1), 'trainImages')).message).toBe(
      'trainImages: header declares 3 images (2368 bytes) but the file has 2367 bytes',
    );
    expect(invalid(() => parseIdxImages(buf.subarray(0, 10), 'trainImages')).message).toBe(
      'trainImages: truncated IDX header (10 bytes, expected at least 16)',
    );
    expect(invalid(() => parseIdxLabels(makeIdxLabels([1, 2]).subarray(0, 9), 'testLabels')).message).toBe(
      'testLabels: header declares 2 labels (10 bytes) but the file has 9 bytes',
    );
  });

  it('rejects a header declaring 10⁹ images from its size alone', () => {
    const err = invalid(() => parseIdxImages(lyingImages(1e9, 12345 - 16), 'trainImages'));
    expect(err.message).toBe(
      'trainImages: header declares 1000000000 images (784000000016 bytes) but the file has 12345 bytes',
    );
    expect(err.statusCode).toBe(400);
  });

  it('rejects a wrong magic number', () => {
    expect(invalid(() => parseIdxImages(makeIdxLabels([1]), 'trainImages')).message).toBe(
      'trainImages: not an IDX image file (magic 0x00000801, expected 0x00000803)',
    );
    expect(invalid(() => parseIdxLabels(makeIdxImages(1), 'trainLabels')).message).toBe(
      'trainLabels: not an IDX label file (magic 0x00000803, expected 0x00000801)',
    );
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    expect(invalid(() => parseIdxImages(png, 'testImages')).message).toBe(
      'testImages: not an IDX image file (magic 0x89504e47, expected 0x00000803)',
    );
    expect(invalid(() => parseIdxImages(Buffer.alloc(2), 'testImages')).message).toBe(
      'testImages: not an IDX image file (only 2 bytes)',
    );
  });

  it('rejects other dimensions than 28×28 and other ranks', () => {
    const big = makeIdxImages(2, undefined, { rows: 32, cols: 32 });
    expect(invalid(() => parseIdxImages(big, 'trainImages')).message).toBe(
      'trainImages: images are 32×32, only 28×28 is supported',
    );
    const rank2 = Buffer.alloc(12 + 784);
    rank2.writeUInt32BE(0x802, 0);
    expect(invalid(() => parseIdxImages(rank2, 'trainImages')).message).toBe(
      'trainImages: IDX image file must have 3 dimension(s), this one has 2 (magic 0x00000802)',
    );
  });

  it('rejects a label outside 0–9', () => {
    const labels = [0, 1, 2, 3, 4, 5, 6, 12, 8];
    expect(invalid(() => parseIdxLabels(makeIdxLabels(labels), 'testLabels')).message).toBe(
      'testLabels: label 12 at index 7 is outside 0–9',
    );
  });
});

describe('readIdxPair', () => {
  const labels = [3, 1, 4];
  const images = makeIdxImages(3, (i) => constantImage(10 * (i + 1)));

  it('reads plain, gzipped and mixed files alike', () => {
    const variants = [
      [images, makeIdxLabels(labels)],
      [gzipSync(images), gzipSync(makeIdxLabels(labels))],
      [gzipSync(images), makeIdxLabels(labels)],
    ] as const;
    for (const [img, lab] of variants) {
      const split = readIdxPair(img, lab, 'train', 10 * MB);
      expect(split.count).toBe(3);
      expect([...split.labels]).toEqual(labels);
      expect([split.images[0], split.images[784], split.images[3 * 784 - 1]]).toEqual([10, 20, 30]);
    }
  });

  it('rejects different image and label counts', () => {
    const err = invalid(() => readIdxPair(makeIdxImages(100), makeIdxLabels(new Array(99).fill(0)), 'train', MB));
    expect(err.message).toBe('train: 100 images but 99 labels');
  });

  it('rejects an empty split', () => {
    expect(invalid(() => readIdxPair(makeIdxImages(0), makeIdxLabels([]), 'test', MB)).message).toBe(
      'test: the files hold no images',
    );
  });

  it('names the file whose content is wrong', () => {
    const err = invalid(() => readIdxPair(gzipSync(images), gzipSync(makeIdxLabels([1, 2, 10])), 'test', MB));
    expect(err.message).toBe('testLabels: label 10 at index 2 is outside 0–9');
  });
});

describe('inflateIdx', () => {
  it('returns non-gzipped data unchanged', () => {
    const buf = makeIdxLabels([1, 2]);
    expect(inflateIdx(buf, 'trainLabels', 1)).toBe(buf);
  });

  it('refuses a gzip whose header declares more than maxBytes, before inflating the rest', () => {
    // ~200 KB of gzip that would inflate to 200 MB.
    const gz = gzipBomb(lyingImages(255103, 0), 200);
    expect(gz.length).toBeLessThan(300 * 1024);
    expect(invalid(() => inflateIdx(gz, 'trainImages', 10 * MB)).message).toBe(
      'trainImages: header declares 255103 images (200000768 bytes uncompressed), more than the limit of 10485760 bytes',
    );
    const huge = gzipSync(lyingImages(1e9, 784));
    expect(invalid(() => inflateIdx(huge, 'trainImages', 10 * MB)).message).toBe(
      'trainImages: header declares 1000000000 images (784000000016 bytes uncompressed), more than the limit of 10485760 bytes',
    );
  });

  it('stops inflating at the size the header declares', () => {
    // A modest header in front of 200 MB of zeros, with a limit that would allow much more.
    const gz = gzipBomb(lyingImages(10, 10 * 784), 200);
    expect(invalid(() => inflateIdx(gz, 'trainImages', 1024 * MB)).message).toBe(
      'trainImages: decompresses to more than the 7856 bytes its header declares',
    );
  });

  it('finds the header behind a long gzip file name without inflating the bomb after it', () => {
    // FNAME flag plus a 100 KB name: the IDX header only appears after 100 KB of input.
    const member = gzipSync(lyingImages(255103, 0));
    const named = Buffer.concat([
      member.subarray(0, 10),
      Buffer.alloc(100_000, 0x61),
      Buffer.alloc(1),
      member.subarray(10),
    ]);
    named[3] = named[3]! | 0x08;
    const gz = Buffer.concat([named, gzipBomb(Buffer.alloc(0), 200)]);
    expect(invalid(() => inflateIdx(gz, 'trainImages', 10 * MB)).message).toBe(
      'trainImages: header declares 255103 images (200000768 bytes uncompressed), more than the limit of 10485760 bytes',
    );
  });

  it('rejects corrupt and truncated gzip data', () => {
    const garbage = Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(invalid(() => inflateIdx(garbage, 'trainImages', MB)).message).toMatch(
      /^trainImages: not valid gzip data \(.+\)$/,
    );
    const gz = gzipSync(makeIdxImages(50));
    expect(invalid(() => inflateIdx(gz.subarray(0, gz.length / 2), 'testImages', MB)).message).toBe(
      'testImages: not valid gzip data (unexpected end of file)',
    );
    expect(invalid(() => inflateIdx(gz.subarray(0, 12), 'testImages', MB)).message).toBe(
      'testImages: not valid gzip data (unexpected end of file)',
    );
  });

  it('lets the parser name a gzipped file that is not IDX', () => {
    const gz = gzipSync(Buffer.from('%PDF-1.7 this is not an IDX file at all'));
    const inflated = inflateIdx(gz, 'trainImages', MB);
    expect(invalid(() => parseIdxImages(inflated, 'trainImages')).message).toBe(
      'trainImages: not an IDX image file (magic 0x25504446, expected 0x00000803)',
    );
  });
});

describe('readIdxFile', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('reads name, else name.gz, else fails with ENOENT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idx-'));
    dirs.push(dir);
    const plain = makeIdxLabels([1]);
    const gz = gzipSync(makeIdxLabels([2]));
    await writeFile(join(dir, 'a-idx1-ubyte'), plain);
    await writeFile(join(dir, 'b-idx1-ubyte.gz'), gz);
    expect(Buffer.from(await readIdxFile(join(dir, 'a-idx1-ubyte')))).toEqual(plain);
    expect(Buffer.from(await readIdxFile(join(dir, 'b-idx1-ubyte')))).toEqual(gz);
    await expect(readIdxFile(join(dir, 'c-idx1-ubyte'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
