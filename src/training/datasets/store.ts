import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../errors.js';
import { DIGIT_LABELS, IDX_FILE_NAMES, type BuiltinDataset } from './builtin.js';
import { fashionMnistDataset } from './fashion-mnist.js';
import { inflateIdxAsync, parseIdxPair } from './idx.js';
import { mnistSampleDataset } from './mnist-sample.js';
import { mnistDataset } from './mnist.js';
import type { DatasetInfo, DatasetStore, DatasetUpload, LoadedDataset } from './types.js';
import type { Config } from '../../config.js';

/**
 * Built-in datasets plus uploads kept in `<dir>/datasets/<id>/` as four un-gzipped IDX files
 * and `dataset.json`. An upload is validated completely in memory, written to a temp dir and
 * renamed into place, so a directory with a valid id is always a complete dataset.
 */

export interface DatasetStoreOptions {
  /** DATA_DIR */
  dir: string;
  fashionMnistDir: string;
  mnistDir: string;
  mnistBaseUrl: string;
  /** Limit of each uploaded file once decompressed: a gzipped upload may not unpack to more than an uncompressed one could be. */
  maxUploadBytes: number;
  downloadTimeoutMs?: number;
  mnistChecksums?: Record<string, string>;
}

const UPLOAD_ID = /^ds_[0-9a-f]{16}$/;
const INFO_FILE = 'dataset.json';
const TMP_PREFIX = '.tmp-';

function notFound(id: string): NotFoundError {
  return new NotFoundError(`dataset ${JSON.stringify(id)} not found`, 'DATASET_NOT_FOUND');
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The store as the settings describe it (used by the API, the worker and the OpenAPI generator). */
export function datasetStoreFromConfig(config: Config): DatasetStore {
  return createDatasetStore({
    dir: config.DATA_DIR,
    fashionMnistDir: config.FASHION_MNIST_DIR,
    mnistDir: config.MNIST_DIR,
    mnistBaseUrl: config.MNIST_BASE_URL,
    maxUploadBytes: config.MAX_DATASET_BYTES,
  });
}

/** Enough of a shape check that a stray or hand-edited dataset.json is skipped, not served. */
function isUploadInfo(value: unknown, id: string): value is DatasetInfo {
  const v = value as Partial<DatasetInfo> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.id === id &&
    typeof v.name === 'string' &&
    typeof v.trainSize === 'number' &&
    typeof v.testSize === 'number' &&
    Array.isArray(v.labels) &&
    typeof v.createdAt === 'string'
  );
}

export function createDatasetStore(opts: DatasetStoreOptions): DatasetStore {
  const root = join(opts.dir, 'datasets');
  const builtins = new Map<string, BuiltinDataset>(
    [
      mnistSampleDataset(),
      fashionMnistDataset(opts.fashionMnistDir),
      mnistDataset({
        dataDir: opts.dir,
        mnistDir: opts.mnistDir,
        baseUrl: opts.mnistBaseUrl,
        timeoutMs: opts.downloadTimeoutMs,
        checksums: opts.mnistChecksums,
      }),
    ].map((b): [string, BuiltinDataset] => [b.id, b]),
  );
  /** One promise per id: concurrent loads share the parse; failures are dropped so a retry can succeed. */
  const loads = new Map<string, Promise<LoadedDataset>>();

  async function readUploadInfo(id: string): Promise<DatasetInfo | undefined> {
    let text: string;
    try {
      text = await readFile(join(root, id, INFO_FILE), 'utf8');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return isUploadInfo(parsed, id) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  async function get(id: string): Promise<DatasetInfo> {
    const builtin = builtins.get(id);
    if (builtin) return builtin.info();
    // The id becomes a path segment: only the exact generated shape ever reaches the filesystem.
    if (!UPLOAD_ID.test(id)) throw notFound(id);
    const info = await readUploadInfo(id);
    if (!info) throw notFound(id);
    return info;
  }

  async function loadUpload(id: string): Promise<LoadedDataset> {
    const info = await get(id);
    const dir = join(root, id);
    const read = (name: string) => readFile(join(dir, name));
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
      read(IDX_FILE_NAMES.trainImages),
      read(IDX_FILE_NAMES.trainLabels),
      read(IDX_FILE_NAMES.testImages),
      read(IDX_FILE_NAMES.testLabels),
    ]).catch((err: unknown) => {
      // Deleted between get() and here.
      if (isMissing(err)) throw notFound(id);
      throw err;
    });
    return {
      id,
      train: parseIdxPair(trainImages, trainLabels, 'train'),
      test: parseIdxPair(testImages, testLabels, 'test'),
      labels: info.labels,
    };
  }

  return {
    async list() {
      const infos = await Promise.all([...builtins.values()].map((b) => b.info()));
      let names: string[] = [];
      try {
        names = await readdir(root);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
      const uploads = await Promise.all(
        names.filter((n) => UPLOAD_ID.test(n)).map((n) => readUploadInfo(n).catch(() => undefined)),
      );
      const present = uploads.filter((u): u is DatasetInfo => u !== undefined);
      present.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.id.localeCompare(b.id));
      return [...infos, ...present];
    },

    get,

    async create(upload: DatasetUpload) {
      // Everything is validated before the first byte is written.
      const max = opts.maxUploadBytes;
      // Inflated on the thread pool, one after another: the API's event loop keeps answering.
      const files = {
        trainImages: await inflateIdxAsync(upload.trainImages, 'trainImages', max),
        trainLabels: await inflateIdxAsync(upload.trainLabels, 'trainLabels', max),
        testImages: await inflateIdxAsync(upload.testImages, 'testImages', max),
        testLabels: await inflateIdxAsync(upload.testLabels, 'testLabels', max),
      };
      const train = parseIdxPair(files.trainImages, files.trainLabels, 'train');
      const test = parseIdxPair(files.testImages, files.testLabels, 'test');

      const id = `ds_${randomBytes(8).toString('hex')}`;
      const info: DatasetInfo = {
        id,
        name: upload.name,
        builtin: false,
        available: true,
        trainSize: train.count,
        testSize: test.count,
        imageShape: [28, 28],
        classes: 10,
        labels: [...DIGIT_LABELS],
        createdAt: new Date().toISOString(),
      };
      await mkdir(root, { recursive: true });
      const tmp = await mkdtemp(join(root, TMP_PREFIX));
      try {
        await Promise.all([
          writeFile(join(tmp, IDX_FILE_NAMES.trainImages), files.trainImages),
          writeFile(join(tmp, IDX_FILE_NAMES.trainLabels), files.trainLabels),
          writeFile(join(tmp, IDX_FILE_NAMES.testImages), files.testImages),
          writeFile(join(tmp, IDX_FILE_NAMES.testLabels), files.testLabels),
        ]);
        // Written last: inside the temp dir it is only a marker of completeness anyway.
        await writeFile(join(tmp, INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
        await rename(tmp, join(root, id));
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
      return info;
    },

    async remove(id: string) {
      if (builtins.has(id)) {
        throw new ConflictError('built-in datasets cannot be deleted', 'DATASET_BUILTIN');
      }
      if (!UPLOAD_ID.test(id)) throw notFound(id);
      // Renaming first makes the dataset vanish at once; the slow delete happens out of sight.
      const doomed = join(root, `${TMP_PREFIX}rm-${randomBytes(8).toString('hex')}`);
      try {
        await rename(join(root, id), doomed);
      } catch (err) {
        if (isMissing(err)) throw notFound(id);
        throw err;
      }
      loads.delete(id);
      await rm(doomed, { recursive: true, force: true });
    },

    load(id: string) {
      let pending = loads.get(id);
      if (pending) {
        // Most recently used last, so that the eviction below drops the least recently used.
        loads.delete(id);
        loads.set(id, pending);
      } else {
        const builtin = builtins.get(id);
        const promise = builtin ? builtin.load() : loadUpload(id);
        pending = promise;
        loads.set(id, promise);
        // Training processes live on across jobs: keep the built-ins and the two most recently
        // used uploads parsed, not every upload ever trained on.
        const uploads = [...loads.keys()].filter((k) => !builtins.has(k));
        for (const old of uploads.slice(0, -2)) loads.delete(old);
        promise.catch(() => {
          if (loads.get(id) === promise) loads.delete(id);
        });
      }
      return pending;
    },
  };
}
