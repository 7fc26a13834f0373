import { join } from 'node:path';
import { IMAGE_SHAPE } from '../schemas/image-shape.js';
import { UnavailableError } from '../errors.js';
import { DATASET_UNAVAILABLE } from './errors.js';
import { findIdxFile, readIdxFile, readIdxPair } from './idx-files.js';
import type { DatasetInfo, LoadedDataset } from './types.js';

/** A dataset that ships with the service (or is fetched by it), as opposed to an upload. */
export interface BuiltinDataset {
  readonly id: string;
  /** Cheap: never parses or downloads the data. */
  info(): Promise<DatasetInfo>;
  /** Parses (and if needed fetches) the data; the store caches the result. */
  load(): Promise<LoadedDataset>;
}

/** The standard MNIST file names; each may be stored gzipped with a `.gz` suffix. */
export const IDX_FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The four files of a dataset in IDX_FILE_NAMES order, read at once with `read`. */
export async function readFourIdxFiles<T>(read: (name: string) => Promise<T>) {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    read(IDX_FILE_NAMES.trainImages),
    read(IDX_FILE_NAMES.trainLabels),
    read(IDX_FILE_NAMES.testImages),
    read(IDX_FILE_NAMES.testLabels),
  ]);
  return { trainImages, trainLabels, testImages, testLabels };
}

export const DIGIT_LABELS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * Uncompressed size limit per built-in file: above the 47 MB of a 60,000-image file, yet low
 * enough that a damaged or hostile file in a configured directory cannot exhaust memory.
 */
export const BUILTIN_MAX_BYTES = 64 * 1024 * 1024;

export function builtinInfo(
  id: string,
  name: string,
  fields: {
    available: boolean;
    note?: string | undefined;
    trainSize: number;
    testSize: number;
    labels: readonly string[];
  },
): DatasetInfo {
  return {
    id,
    name,
    builtin: true,
    tenant: null,
    available: fields.available,
    ...(fields.note !== undefined ? { note: fields.note } : {}),
    trainSize: fields.trainSize,
    testSize: fields.testSize,
    imageShape: IMAGE_SHAPE,
    classes: fields.labels.length,
    labels: [...fields.labels],
    preprocess: 'mnist',
    createdAt: null,
  };
}

/** Name of the first of the four IDX files that `dir` lacks (neither plain nor gzipped), if any. */
export async function missingIdxFile(dir: string): Promise<string | undefined> {
  for (const name of Object.values(IDX_FILE_NAMES)) {
    if ((await findIdxFile(join(dir, name))) === undefined) return name;
  }
  return undefined;
}

/**
 * Loads the four IDX files of `dir` (plain or gzipped) into a dataset. A file that cannot be
 * read is named with `where` (the setting that names `dir`), not with its path: the message
 * reaches API clients through the job's error.
 */
export async function loadIdxDir(
  dir: string,
  id: string,
  labels: readonly string[],
  where: string,
): Promise<LoadedDataset> {
  const read = (name: string) =>
    readIdxFile(join(dir, name)).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException | null)?.code ?? 'error';
      throw new UnavailableError(`dataset "${id}": could not read ${name} in ${where} (${code})`, DATASET_UNAVAILABLE);
    });
  const { trainImages, trainLabels, testImages, testLabels } = await readFourIdxFiles(read);
  return {
    id,
    train: readIdxPair(trainImages, trainLabels, 'train', BUILTIN_MAX_BYTES, labels.length),
    test: readIdxPair(testImages, testLabels, 'test', BUILTIN_MAX_BYTES, labels.length),
    labels,
    preprocess: 'mnist',
  };
}
