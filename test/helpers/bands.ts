import type { LoadedDataset } from '../../src/datasets/types.js';
import { createRng } from '../../src/rng.js';

/** A learnable synthetic set: class k lights a 4×28 band at row 2k + 4, plus noise (up to 10 classes). */
function bands(count: number, seed: number, classes = 10) {
  const rng = createRng(seed);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % classes;
    labels[i] = k;
    for (let p = 0; p < 784; p++) {
      const row = Math.floor(p / 28);
      images[i * 784 + p] = row >= 2 * k + 4 && row < 2 * k + 8 ? 150 + rng() * 100 : rng() * 60;
    }
  }
  return { count, images, labels };
}

export const bandsDataset: LoadedDataset = {
  id: 'bands',
  train: bands(1000, 1),
  test: bands(200, 2),
  labels: Array.from({ length: 10 }, (_, i) => String(i)),
  preprocess: 'mnist',
};

/** The same task with `classes` named classes ("class 0", …), for networks sized by the dataset. */
export const bandsOf = (classes: number): LoadedDataset => ({
  id: `bands-${classes}`,
  train: bands(100 * classes, 1, classes),
  test: bands(20 * classes, 2, classes),
  labels: Array.from({ length: classes }, (_, i) => `class ${i}`),
  preprocess: 'mnist',
});
