import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readIdxFile, readIdxPair } from '../../src/datasets/idx-files.js';
import { makeIdxImages, makeIdxLabels } from '../helpers/idx.js';
import { invalid } from '../helpers/invalid-input.js';

const MB = 1024 * 1024;
const constantImage = (v: number) => new Uint8Array(784).fill(v);

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
