import { ConflictError } from '../errors.js';
import { DATASET_UNAVAILABLE } from './errors.js';
import { builtinInfo, loadIdxDir, missingIdxFile, type BuiltinDataset } from './builtin.js';
import type { LoadedDataset } from './types.js';

/**
 * `fashion-mnist`: the full 60,000/10,000 Fashion-MNIST from IDX files in a directory (by
 * default where Debian's dataset-fashion-mnist package installs them). Nothing is downloaded:
 * when the files are absent the dataset is listed as unavailable and says how to get it.
 */

export const FASHION_MNIST_ID = 'fashion-mnist';
export const FASHION_MNIST_LABELS: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Names the setting, never its value: answers do not show this machine's paths. */
function missingNote(missing: string): string {
  return (
    `${missing}(.gz) is missing from the directory FASHION_MNIST_DIR names; install Debian's ` +
    'dataset-fashion-mnist package or set FASHION_MNIST_DIR to a directory holding the four IDX files'
  );
}

export function fashionMnistDataset(dir: string): BuiltinDataset {
  // The published sizes until a load has counted the actual files.
  let sizes = { train: 60000, test: 10000 };
  return {
    id: FASHION_MNIST_ID,
    async info() {
      const missing = await missingIdxFile(dir);
      return builtinInfo(FASHION_MNIST_ID, 'Fashion-MNIST', {
        available: missing === undefined,
        note: missing === undefined ? undefined : missingNote(missing),
        trainSize: sizes.train,
        testSize: sizes.test,
        labels: FASHION_MNIST_LABELS,
      });
    },
    async load(): Promise<LoadedDataset> {
      const missing = await missingIdxFile(dir);
      if (missing !== undefined) {
        throw new ConflictError(
          `dataset "${FASHION_MNIST_ID}" is unavailable: ${missingNote(missing)}`,
          DATASET_UNAVAILABLE,
        );
      }
      const dataset = await loadIdxDir(dir, FASHION_MNIST_ID, FASHION_MNIST_LABELS, 'FASHION_MNIST_DIR');
      sizes = { train: dataset.train.count, test: dataset.test.count };
      return dataset;
    },
  };
}
