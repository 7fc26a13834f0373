import { createHash } from 'node:crypto';
import type { LoadedDataset, Split } from './types.js';

/** IDX magic numbers of unsigned-byte files: 3 dimensions (images) and 1 (labels). */
const IMAGES_MAGIC = 0x0803;
const LABELS_MAGIC = 0x0801;

function header(magic: number, dims: number[]): Buffer {
  const out = Buffer.alloc(4 + dims.length * 4);
  out.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => out.writeUInt32BE(d, 4 + i * 4));
  return out;
}

/**
 * SHA-256 over the dataset's four IDX files (train images, train labels, test images, test
 * labels), un-gzipped, written back from what was read: the same images and labels give the same
 * digest whichever upload, compression or built-in they came from.
 */
export function datasetDigest(dataset: Pick<LoadedDataset, 'train' | 'test'>): string {
  const hash = createHash('sha256');
  const add = (split: Split) => {
    hash.update(header(IMAGES_MAGIC, [split.count, 28, 28]));
    hash.update(split.images);
    hash.update(header(LABELS_MAGIC, [split.count]));
    hash.update(split.labels);
  };
  add(dataset.train);
  add(dataset.test);
  return hash.digest('hex');
}
