import { createRng } from '../rng.js';
import type { ImportReport, SkippedFile } from '../schemas/dataset-import.js';
import { INPUT_SIZE, IMAGE_SIDE } from '../schemas/image-shape.js';
import { ImportRejectedError } from '../datasets/import/errors.js';
import type { Groups } from './layout.js';
import { shownName } from './entries.js';

/** A split as stored: the IDX files' bytes (un-gzipped, labels as indices into `classes`). */
export interface BuiltSplit {
  images: Buffer;
  labels: Buffer;
  count: number;
}

export interface Built {
  train: BuiltSplit;
  test: BuiltSplit;
  report: ImportReport;
}

const MAX_LISTED_SKIPS = 1000;

/**
 * Draws a stratified test split: each class's images shuffled by one PRNG from `seed` (classes
 * in their order) and `testSplit` of them, rounded, moved to test, keeping at least one of each
 * class with two or more images on either side.
 */
export function drawTestSplit(train: Groups, classes: string[], testSplit: number, seed: number): Groups {
  const rng = createRng(seed);
  const test: Groups = new Map();
  for (const c of classes) {
    const list = train.get(c) ?? [];
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    const n = list.length;
    const take = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * testSplit)));
    test.set(c, list.splice(n - take, take));
  }
  return test;
}

function idx(groups: Groups, classes: string[]): BuiltSplit {
  const count = classes.reduce((sum, c) => sum + (groups.get(c)?.length ?? 0), 0);
  const images = Buffer.alloc(16 + count * INPUT_SIZE);
  images.writeUInt32BE(0x0803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(IMAGE_SIDE, 8);
  images.writeUInt32BE(IMAGE_SIDE, 12);
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x0801, 0);
  labels.writeUInt32BE(count, 4);
  let i = 0;
  classes.forEach((c, label) => {
    for (const pixels of groups.get(c) ?? []) {
      images.set(pixels, 16 + i * INPUT_SIZE);
      labels[8 + i] = label;
      i++;
    }
  });
  return { images, labels, count };
}

/** The four IDX files' bytes and the report, from images grouped by class and split. */
export function build(train: Groups, test: Groups, classes: string[], skipped: SkippedFile[]): Built {
  const builtTest = idx(test, classes);
  if (builtTest.count === 0) {
    throw new ImportRejectedError(
      'the test split is empty: give a test/ folder or classes with at least 2 images each',
    );
  }
  return {
    train: idx(train, classes),
    test: builtTest,
    report: {
      classes: classes.map((label) => ({
        label,
        train: train.get(label)?.length ?? 0,
        test: test.get(label)?.length ?? 0,
      })),
      skipped: skipped.slice(0, MAX_LISTED_SKIPS).map((s) => ({ ...s, file: shownName(s.file) })),
      skippedCount: skipped.length,
    },
  };
}
