// The stores as the settings describe them. Only composition roots (the API's runtime, the worker,
// its training processes, the OpenAPI generator) read Config; the stores themselves take plain options.
import type { Config } from './config.js';
import { createDatasetStore } from './datasets/store.js';
import type { DatasetStore } from './datasets/types.js';
import { createFsStorage } from './storage/fs.js';
import { lazyS3Storage, parseStorageUrl } from './storage/index.js';
import type { ObjectStorage } from './storage/types.js';

/** Shared by the API, the workers and their training processes: all of them must agree. */
export function storageFromConfig(config: Config): ObjectStorage {
  const target = parseStorageUrl(config.STORAGE_URL, config.DATA_DIR);
  if (target.kind === 'file') return createFsStorage({ dir: target.dir });
  return lazyS3Storage({
    bucket: target.bucket,
    prefix: target.prefix,
    endpoint: config.S3_ENDPOINT || undefined,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    region: config.S3_REGION || undefined,
  });
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
    maxImages: config.MAX_DATASET_IMAGES,
    maxClasses: config.MAX_CLASSES,
    uploadLimits: {
      inFlight: config.MAX_UPLOADS_IN_FLIGHT,
      inFlightPerOwner: config.MAX_UPLOADS_IN_FLIGHT_PER_KEY,
      datasetsPerOwner: config.MAX_DATASETS_PER_KEY,
      bytesPerOwner: config.MAX_DATASET_STORAGE_PER_KEY,
    },
  });
}
