import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateIdx } from '../../src/datasets/gunzip-capped.js';
import { parseIdxImages } from '../../src/datasets/idx.js';
import { gzipBomb, lyingImages, makeIdxImages, makeIdxLabels } from '../helpers/idx.js';
import { invalid } from '../helpers/invalid-input.js';

const MB = 1024 * 1024;

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
