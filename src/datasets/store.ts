import { Readable } from 'node:stream';
import { ConflictError, NotFoundError } from '../errors.js';
import { DIGIT_LABELS, IDX_FILE_NAMES, readFourIdxFiles, type BuiltinDataset } from './builtin.js';
import { previewFromIdx } from './import/preview.js';
import { PREPROCESS_RULES } from '../schemas/classes.js';
import { CLASSES_CEILING, MIN_CLASSES } from '../schemas/image-shape.js';
import { fashionMnistDataset } from './fashion-mnist.js';
import { parseIdxPair } from './idx.js';
import { mnistSampleDataset } from './mnist-sample.js';
import { mnistDataset } from './mnist.js';
import type { DatasetInfo, DatasetMarker, DatasetStore, LoadedDataset } from './types.js';
import { INFO_FILE, stagingDirOf, startUpload, sweepStaging, UPLOAD_FIELDS, uploadIdTime } from './upload.js';
import { createUploadQuota, type StoredUsage, type UploadLimits } from './upload-quota.js';
import type { ObjectStorage } from '../storage/types.js';
import { tenantViews } from '../storage/prefixed.js';
import { DEFAULT_TENANT, tenantOfQuotaOwner } from '../schemas/tenant.js';
import { startImport } from './import/import-upload.js';
import { importFailedError, importingError } from './import/errors.js';
import { IMPORT_FILE, PREVIEW_FILE, readImportRecord } from './import/records.js';

/**
 * Built-in datasets plus uploads kept in storage under `datasets/<id>/` as four un-gzipped
 * IDX files and `dataset.json`. An upload streams its files in one by one, validated on the
 * way (see upload.ts), and writes dataset.json, the commit marker, last: only uploads with one
 * are listed or loaded, and a delete removes it first. So an upload is there whole or not at all.
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
  /** MAX_DATASET_IMAGES; default 250,000. */
  maxImages?: number;
  /** MAX_CLASSES; default 100. */
  maxClasses?: number;
  /** Uploads in flight and per-owner quotas; defaults: the settings' defaults. */
  uploadLimits?: Partial<UploadLimits>;
  downloadTimeoutMs?: number;
  mnistChecksums?: Record<string, string>;
}

/** Ids of uploads: 16 hex digits (before ids carried their time) or 24 (see newUploadId). */
const UPLOAD_ID = /^ds_(?:[0-9a-f]{16}|[0-9a-f]{24})$/;
/** An import's record stands in for dataset.json until the import is done (import/records.ts). */
const MARKER_KEY = /^datasets\/([^/]+)\/(?:dataset|import)\.json$/;
const DIR_KEY = /^datasets\/([^/]+)\//;

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  inFlight: 8,
  inFlightPerOwner: 2,
  datasetsPerOwner: 20,
  bytesPerOwner: 1024 ** 3,
};
/** Staging files are swept at most this often, by the process that stages (the API). */
const STAGING_SWEEP_EVERY_MS = 60 * 60_000;

function notFound(id: string): NotFoundError {
  return new NotFoundError(`dataset ${JSON.stringify(id)} not found`, 'DATASET_NOT_FOUND');
}

/** Enough of a shape check that a stray or hand-edited dataset.json is skipped, not served. */
function isUploadInfo(value: unknown, id: string): value is DatasetInfo & Partial<DatasetMarker> {
  const v = value as Partial<DatasetMarker> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.id === id &&
    typeof v.name === 'string' &&
    typeof v.trainSize === 'number' &&
    typeof v.testSize === 'number' &&
    typeof v.createdAt === 'string' &&
    (v.labels === undefined || (Array.isArray(v.labels) && v.labels.length <= CLASSES_CEILING)) &&
    (v.owner === undefined || typeof v.owner === 'string') &&
    (v.bytes === undefined || typeof v.bytes === 'number')
  );
}

/**
 * Markers written before datasets had other classes hold ten names "0"–"9" (or none, if hand
 * made) and no rule: they read as those ten classes with the `mnist` rule they were made for.
 */
function withClasses<T extends DatasetInfo & Partial<DatasetMarker>>(marker: T): T {
  const named = Array.isArray(marker.labels) && marker.labels.length >= MIN_CLASSES;
  const labels = named ? marker.labels.map(String) : [...DIGIT_LABELS];
  const preprocess = (PREPROCESS_RULES as readonly string[]).includes(marker.preprocess) ? marker.preprocess : 'mnist';
  return { ...marker, labels, classes: labels.length, preprocess };
}

/** What the API shows of a marker: the quota fields stay in storage. */
function publicInfo(marker: DatasetInfo & Partial<DatasetMarker>): DatasetInfo {
  const { owner: _owner, bytes: _bytes, ...info } = marker;
  delete (info as { sources?: unknown }).sources; // an import's staged files: the job's business
  return info;
}

export function createDatasetStore(opts: DatasetStoreOptions): DatasetStore {
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
  /** One promise per tenant and id: concurrent loads share the parse; failures are dropped so a retry can succeed. */
  const loads = new Map<string, Promise<LoadedDataset>>();
  const viewOf = tenantViews<DatasetView>(opts.storage, (storage, tenant) => tenantView(storage, tenant));

  /** What `owner` keeps stored, in its tenant; datasets from before owners were recorded count for nobody. */
  async function usageOf(owner: string): Promise<StoredUsage> {
    const own = (await viewOf(tenantOfQuotaOwner(owner)).markers()).filter((m) => m.owner === owner);
    return { datasets: own.length, bytes: own.reduce((sum, m) => sum + (m.bytes ?? 0), 0) };
  }

  const quota = createUploadQuota({ ...DEFAULT_UPLOAD_LIMITS, ...opts.uploadLimits }, usageOf);
  const stagingDir = stagingDirOf(opts.dir);
  let stagingSweptAt = 0;

  type DatasetView = DatasetStore & { markers(): Promise<(DatasetInfo & Partial<DatasetMarker>)[]> };

  function tenantView(storage: ObjectStorage, tenant: string): DatasetView {
    const loadKey = (id: string) => `${tenant}/${id}`;
    const shown = (marker: DatasetInfo & Partial<DatasetMarker>): DatasetInfo => ({ ...publicInfo(marker), tenant });

    async function readMarker(id: string): Promise<(DatasetInfo & Partial<DatasetMarker>) | undefined> {
      const bytes = await storage.get(`datasets/${id}/${INFO_FILE}`);
      if (!bytes) return readImportRecord(storage, id);
      try {
        const parsed: unknown = JSON.parse(bytes.toString('utf8'));
        return isUploadInfo(parsed, id) ? withClasses(parsed) : undefined;
      } catch {
        return undefined;
      }
    }

    async function get(id: string): Promise<DatasetInfo> {
      const builtin = builtins.get(id);
      if (builtin) return builtin.info();
      // The id becomes a key segment: only the exact generated shape ever reaches storage.
      if (!UPLOAD_ID.test(id)) throw notFound(id);
      const marker = await readMarker(id);
      if (!marker) throw notFound(id);
      return shown(marker);
    }

    async function markers(): Promise<(DatasetInfo & Partial<DatasetMarker>)[]> {
      const ids = (await storage.list('datasets/'))
        .map((key) => MARKER_KEY.exec(key)?.[1])
        .filter((id): id is string => id !== undefined && UPLOAD_ID.test(id));
      const found = await Promise.all([...new Set(ids)].map((id) => readMarker(id).catch(() => undefined)));
      return found.filter((m) => m !== undefined);
    }

    // Where an upload or an import stages its files, and the bounds both check as they read.
    const uploadOptions = {
      storage,
      tenant,
      stagingDir,
      maxFileBytes: opts.maxUploadBytes,
      maxImages: opts.maxImages ?? 250_000,
      maxClasses: opts.maxClasses ?? 100,
    };

    async function beginUpload(owner: string) {
      const ticket = await quota.enter(owner);
      if (Date.now() - stagingSweptAt > STAGING_SWEEP_EVERY_MS) {
        stagingSweptAt = Date.now();
        // Best effort, and the upload does not wait for it: a file left now is swept next time.
        void sweepStaging(stagingDir).catch(() => {});
      }
      return startUpload(uploadOptions, owner, ticket);
    }

    async function loadUpload(id: string): Promise<LoadedDataset> {
      const info = await get(id);
      if (info.state === 'importing') throw importingError(id);
      if (info.state === 'failed') throw importFailedError(id, info.import?.error);
      const read = async (name: string) => {
        const bytes = await storage.get(`datasets/${id}/${name}`);
        if (!bytes) throw notFound(id); // deleted between get() and here
        return bytes;
      };
      const { trainImages, trainLabels, testImages, testLabels } = await readFourIdxFiles(read);
      return {
        id,
        train: parseIdxPair(trainImages, trainLabels, 'train', info.labels.length),
        test: parseIdxPair(testImages, testLabels, 'test', info.labels.length),
        labels: info.labels,
        preprocess: info.preprocess,
      };
    }

    return {
      async list() {
        const infos = await Promise.all([...builtins.values()].map((b) => b.info()));
        const present = (await markers()).map(shown);
        present.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.id.localeCompare(b.id));
        return [...infos, ...present];
      },

      get,

      beginUpload,

      async beginImport(owner) {
        const ticket = await quota.enter(owner);
        return startImport(uploadOptions, owner, ticket);
      },

      async preview(id) {
        if (!UPLOAD_ID.test(id)) return undefined;
        const stored = await storage.get(`datasets/${id}/${PREVIEW_FILE}`);
        const info = stored ? undefined : await get(id);
        if (stored || !info || info.state !== undefined) return stored;
        // An IDX upload: drawn from its first images, then kept beside them.
        const labels = await storage.get(`datasets/${id}/${IDX_FILE_NAMES.trainLabels}`);
        const images = await storage.getStream(`datasets/${id}/${IDX_FILE_NAMES.trainImages}`);
        if (!labels || !images) return undefined;
        const png = await previewFromIdx(labels, images, info.classes);
        await storage.put(`datasets/${id}/${PREVIEW_FILE}`, png);
        return png;
      },

      async storedBy(owner, except) {
        const own = (await markers()).filter((m) => m.owner === owner && m.id !== except);
        return own.reduce((sum, m) => sum + (m.bytes ?? 0), 0);
      },

      async create(upload) {
        const session = await beginUpload(upload.owner);
        try {
          for (const field of UPLOAD_FIELDS) await session.addFile(field, Readable.from([upload[field]]));
          return await session.commit(upload.name, { labels: upload.labels, preprocess: upload.preprocess });
        } finally {
          await session.abort();
        }
      },

      async remove(id: string) {
        if (builtins.has(id)) {
          throw new ConflictError('built-in datasets cannot be deleted', 'DATASET_BUILTIN');
        }
        if (!UPLOAD_ID.test(id)) throw notFound(id);
        const marker = await readMarker(id);
        if (!marker) throw notFound(id);
        // The marker first makes the dataset vanish at once; the files go after it.
        await storage.delete(`datasets/${id}/${INFO_FILE}`);
        await storage.delete(`datasets/${id}/${IMPORT_FILE}`);
        if (marker.owner !== undefined) quota.removed(marker.owner, marker.bytes ?? 0);
        loads.delete(loadKey(id));
        await storage.deletePrefix(`datasets/${id}/`);
      },

      load(id: string) {
        // Built-ins are shared by every tenant: parsed once, under one key.
        const key = builtins.has(id) ? id : loadKey(id);
        let pending = loads.get(key);
        if (pending) {
          // Most recently used last, so that the eviction below drops the least recently used.
          loads.delete(key);
          loads.set(key, pending);
        } else {
          const builtin = builtins.get(id);
          const promise = builtin ? builtin.load() : loadUpload(id);
          pending = promise;
          loads.set(key, promise);
          // Training processes live on across jobs: keep the built-ins and the two most recently
          // used uploads parsed, not every upload ever trained on.
          const uploads = [...loads.keys()].filter((k) => !builtins.has(k));
          for (const old of uploads.slice(0, -2)) loads.delete(old);
          promise.catch(() => {
            if (loads.get(key) === promise) loads.delete(key);
          });
        }
        return pending;
      },

      markers,
      forTenant: viewOf,
      async usage() {
        const all = await markers();
        return { datasets: all.length, bytes: all.reduce((sum, m) => sum + (m.bytes ?? 0), 0) };
      },

      async sweep(olderThanMs) {
        const keys = await storage.list('datasets/');
        const marked = new Set(keys.map((k) => MARKER_KEY.exec(k)?.[1]).filter((id) => id !== undefined));
        const unmarked = new Set(
          keys
            .map((k) => DIR_KEY.exec(k)?.[1])
            .filter((id): id is string => id !== undefined && !marked.has(id) && UPLOAD_ID.test(id)),
        );
        let removed = 0;
        for (const id of unmarked) {
          // Only ids that carry their time: an older id's upload cannot be told from one running.
          const born = uploadIdTime(id);
          if (born === undefined || Date.now() - born <= olderThanMs) continue;
          // Read now, not from the listing: a marker written meanwhile keeps the files.
          if (await readMarker(id)) continue;
          await storage.deletePrefix(`datasets/${id}/`);
          removed++;
        }
        return removed;
      },
    };
  }

  return viewOf(DEFAULT_TENANT);
}
