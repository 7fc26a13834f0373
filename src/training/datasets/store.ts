import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError } from '../../errors.js';
import { DIGIT_LABELS, IDX_FILE_NAMES, type BuiltinDataset } from './builtin.js';
import { fashionMnistDataset } from './fashion-mnist.js';
import { inflateIdxAsync, parseIdxPair } from './idx.js';
import { mnistSampleDataset } from './mnist-sample.js';
import { mnistDataset } from './mnist.js';
import type { DatasetInfo, DatasetStore, DatasetUpload, LoadedDataset } from './types.js';
import type { Config } from '../../config.js';
import { storageFromConfig } from '../../storage/index.js';
import { putAll, type ObjectStorage } from '../../storage/types.js';

/**
 * Built-in datasets plus uploads kept in storage under `datasets/<id>/` as four un-gzipped
 * IDX files and `dataset.json`. An upload is validated completely in memory and its files
 * written before dataset.json, the commit marker: only uploads with one are listed or loaded,
 * and a delete removes it first. So an upload is there whole or not at all.
 */

export interface DatasetStoreOptions {
  /** Where uploads are kept. */
  storage: ObjectStorage;
  /** DATA_DIR: the local cache of MNIST downloads. */
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
const INFO_KEY = /^datasets\/([^/]+)\/dataset\.json$/;

function notFound(id: string): NotFoundError {
  return new NotFoundError(`dataset ${JSON.stringify(id)} not found`, 'DATASET_NOT_FOUND');
}

/** The store as the settings describe it (used by the API, the worker and the OpenAPI generator). */
export function datasetStoreFromConfig(config: Config, storage = storageFromConfig(config)): DatasetStore {
  return createDatasetStore({
    storage,
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
  const { storage } = opts;
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
    const bytes = await storage.get(`datasets/${id}/${INFO_FILE}`);
    if (!bytes) return undefined;
    try {
      const parsed: unknown = JSON.parse(bytes.toString('utf8'));
      return isUploadInfo(parsed, id) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  async function get(id: string): Promise<DatasetInfo> {
    const builtin = builtins.get(id);
    if (builtin) return builtin.info();
    // The id becomes a key segment: only the exact generated shape ever reaches storage.
    if (!UPLOAD_ID.test(id)) throw notFound(id);
    const info = await readUploadInfo(id);
    if (!info) throw notFound(id);
    return info;
  }

  async function loadUpload(id: string): Promise<LoadedDataset> {
    const info = await get(id);
    const read = async (name: string) => {
      const bytes = await storage.get(`datasets/${id}/${name}`);
      if (!bytes) throw notFound(id); // deleted between get() and here
      return bytes;
    };
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
      read(IDX_FILE_NAMES.trainImages),
      read(IDX_FILE_NAMES.trainLabels),
      read(IDX_FILE_NAMES.testImages),
      read(IDX_FILE_NAMES.testLabels),
    ]);
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
      const ids = (await storage.list('datasets/'))
        .map((key) => INFO_KEY.exec(key)?.[1])
        .filter((id): id is string => id !== undefined && UPLOAD_ID.test(id));
      const uploads = await Promise.all(ids.map((id) => readUploadInfo(id).catch(() => undefined)));
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
      const dir = `datasets/${id}/`;
      try {
        await putAll(
          storage,
          (Object.keys(IDX_FILE_NAMES) as (keyof typeof IDX_FILE_NAMES)[]).map((k) => [
            `${dir}${IDX_FILE_NAMES[k]}`,
            files[k],
          ]),
        );
        // Written last: the commit marker.
        await storage.put(`${dir}${INFO_FILE}`, Buffer.from(`${JSON.stringify(info, null, 2)}\n`));
      } catch (err) {
        // Unmarked files are never seen; removing them only saves space.
        await storage.deletePrefix(dir).catch(() => {});
        throw err;
      }
      return info;
    },

    async remove(id: string) {
      if (builtins.has(id)) {
        throw new ConflictError('built-in datasets cannot be deleted', 'DATASET_BUILTIN');
      }
      if (!UPLOAD_ID.test(id)) throw notFound(id);
      if (!(await readUploadInfo(id))) throw notFound(id);
      // The marker first makes the dataset vanish at once; the files go after it.
      await storage.delete(`datasets/${id}/${INFO_FILE}`);
      loads.delete(id);
      await storage.deletePrefix(`datasets/${id}/`);
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
