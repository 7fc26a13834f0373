import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import { fashionMnistDataset } from '../../src/datasets/fashion-mnist.js';
import { mnistSampleDataset, stratifiedTrainCounts } from '../../src/datasets/mnist-sample.js';
import type { Split } from '../../src/datasets/types.js';
import { makeIdxFiles } from '../helpers/idx.js';

const FASHION_DIR = process.env.FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'builtin-'));
  dirs.push(dir);
  return dir;
}

function classCounts(split: Split): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of split.labels) counts[label]!++;
  return counts;
}

describe('stratifiedTrainCounts', () => {
  it('gives each class its share and hits the exact total', () => {
    const perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    const counts = stratifiedTrainCounts(perDigit, 0.8);
    expect(counts).toEqual([801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
    expect(counts.reduce((a, b) => a + b)).toBe(8000);
    expect(stratifiedTrainCounts([5, 5], 0.8)).toEqual([4, 4]);
  });
});

describe('mnist-sample', () => {
  it('splits the 10,000 packaged digits into 8,000 train and 2,000 test, all classes in both', async () => {
    const ds = await mnistSampleDataset().load();
    expect(ds.id).toBe('mnist-sample');
    expect(ds.labels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect([ds.train.count, ds.test.count]).toEqual([8000, 2000]);
    expect(ds.train.images.length).toBe(8000 * 784);
    expect(ds.test.labels.length).toBe(2000);
    expect(classCounts(ds.train)).toEqual([801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
    expect(classCounts(ds.test)).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
    // Shuffled, not grouped by class.
    expect(new Set(ds.train.labels.subarray(0, 50)).size).toBeGreaterThan(5);
    // Real digits: every image has ink, and some pixels are fully white.
    for (const split of [ds.train, ds.test]) {
      for (let i = 0; i < split.count; i++) {
        expect(split.images.subarray(i * 784, (i + 1) * 784).some((v) => v > 0)).toBe(true);
      }
      expect(split.images.includes(255)).toBe(true);
    }
  });

  it('is deterministic', async () => {
    const [a, b] = await Promise.all([mnistSampleDataset().load(), mnistSampleDataset().load()]);
    expect(Buffer.compare(a.train.images, b.train.images)).toBe(0);
    expect(Buffer.compare(a.train.labels, b.train.labels)).toBe(0);
    expect(Buffer.compare(a.test.images, b.test.images)).toBe(0);
    expect(Buffer.compare(a.test.labels, b.test.labels)).toBe(0);
  });

  it('is listed as the available digit set', async () => {
    const info = await mnistSampleDataset().info();
    expect(info).toMatchObject({ id: 'mnist-sample', builtin: true, available: true, trainSize: 8000, testSize: 2000 });
    expect(info.note).toBeUndefined();
  });
});

describe('fashion-mnist', () => {
  it.skipIf(!existsSync(FASHION_DIR))(
    'loads 60,000/10,000 images from the installed files',
    async () => {
      const fashion = fashionMnistDataset(FASHION_DIR);
      const info = await fashion.info();
      expect(info).toMatchObject({ id: 'fashion-mnist', available: true, trainSize: 60000, testSize: 10000 });
      expect(info.note).toBeUndefined();
      const ds = await fashion.load();
      expect([ds.train.count, ds.test.count]).toEqual([60000, 10000]);
      expect(ds.train.images.length).toBe(60000 * 784);
      expect(ds.labels[9]).toBe('Ankle boot');
      // Fashion-MNIST is balanced: 6,000 and 1,000 of each class.
      expect(classCounts(ds.train)).toEqual(new Array(10).fill(6000));
      expect(classCounts(ds.test)).toEqual(new Array(10).fill(1000));
    },
    60_000,
  );

  it('is listed as unavailable, saying what is missing, when the directory is empty', async () => {
    const dir = await tempDir();
    const fashion = fashionMnistDataset(dir);
    const info = await fashion.info();
    expect(info).toMatchObject({ id: 'fashion-mnist', builtin: true, available: false, trainSize: 60000 });
    expect(info.note).toBe(
      "train-images-idx3-ubyte(.gz) is missing from the directory FASHION_MNIST_DIR names; install Debian's " +
        'dataset-fashion-mnist package or set FASHION_MNIST_DIR to a directory holding the four IDX files',
    );
    // The setting is named, never this machine's path.
    expect(info.note).not.toContain(dir);

    const err = await fashion.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'DATASET_UNAVAILABLE', statusCode: 409 });
    expect((err as Error).message).toContain('dataset "fashion-mnist" is unavailable: train-images-idx3-ubyte(.gz)');
    expect((err as Error).message).toContain('FASHION_MNIST_DIR');
    expect((err as Error).message).not.toContain(dir);
  });

  it('names a file it cannot read by the setting, not by its path', async () => {
    const dir = await tempDir();
    const files = makeIdxFiles(10, 10);
    await writeFile(join(dir, 'train-images-idx3-ubyte'), files.trainImages);
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), files.trainLabels);
    await writeFile(join(dir, 't10k-images-idx3-ubyte'), files.testImages);
    // The gzipped file is there, but a directory stands where the plain one is read first.
    await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(files.testLabels));
    await mkdir(join(dir, 't10k-labels-idx1-ubyte'));
    const err = (await fashionMnistDataset(dir)
      .load()
      .catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: 'DATASET_UNAVAILABLE', statusCode: 503 });
    expect(err.message).toBe(
      'dataset "fashion-mnist": could not read t10k-labels-idx1-ubyte in FASHION_MNIST_DIR (EISDIR)',
    );
  });

  it('reads any directory of plain or gzipped IDX files and reports their sizes once loaded', async () => {
    const dir = await tempDir();
    const files = makeIdxFiles(30, 12);
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(files.trainImages));
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), files.trainLabels);
    await writeFile(join(dir, 't10k-images-idx3-ubyte'), files.testImages);
    const fashion = fashionMnistDataset(dir);
    expect((await fashion.info()).note).toContain('t10k-labels-idx1-ubyte(.gz) is missing');
    await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(files.testLabels));

    const ds = await fashion.load();
    expect([ds.train.count, ds.test.count]).toEqual([30, 12]);
    expect([...ds.test.labels.subarray(0, 11)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
    expect(await fashion.info()).toMatchObject({ available: true, trainSize: 30, testSize: 12 });
  });
});
