import { describe, expect, it } from 'vitest';
import { parseIdxImages, parseIdxLabels } from '../../src/datasets/idx.js';
import { lyingImages, makeIdxImages, makeIdxLabels } from '../helpers/idx.js';
import { invalid } from '../helpers/invalid-input.js';

const constantImage = (v: number) => new Uint8Array(784).fill(v);

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
