import { randomBytes } from 'node:crypto';
import type * as tf from '@tensorflow/tfjs';
import { NotFoundError } from '../errors.js';
import { RESOURCE_ID } from '../schemas/common.js';
import { putAll, type ObjectStorage, type ObjectStream } from '../storage/types.js';
import { deserialiseModel, serialiseModel } from './serialise.js';
import type { ModelMetadata } from './types.js';
import { tenantViews } from '../storage/prefixed.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';

export type { ModelMetadata } from './types.js';

export const MODEL_FILES = ['model.json', 'weights.bin'] as const;
export type ModelFile = (typeof MODEL_FILES)[number];

/** A model file to serve: an entity tag that stays the same as long as the model does, and its bytes on demand. */
export interface ModelFileRef {
  etag: string;
  /** The file as a stream with its size; a NotFoundError when the model was removed meanwhile. */
  open(): Promise<ObjectStream>;
}

export interface ModelStore {
  /** Stores a trained model with its metadata; saving the same id twice keeps the first. */
  save(meta: Omit<ModelMetadata, 'sizeBytes' | 'tenant'>, model: tf.LayersModel): Promise<ModelMetadata>;
  /** Newest first, read from storage now: a model another process just saved is listed. */
  list(): Promise<ModelMetadata[]>;
  get(id: string): Promise<ModelMetadata>;
  readFile(id: string, file: ModelFile): Promise<Buffer>;
  /** For serving a file: read from its marker, so a conditional request that matches opens nothing. */
  fileRef(id: string, file: ModelFile): Promise<ModelFileRef>;
  load(id: string): Promise<tf.LayersModel>;
  remove(id: string): Promise<void>;
  /**
   * Removes model files that no marker names and that were written more than `olderThanMs` ago:
   * what a save or remove that crashed part-way leaves behind. Returns how many revisions went.
   */
  sweep(olderThanMs: number): Promise<number>;
  /**
   * The models of one tenant, stored under its own prefix: another tenant's ids are not found.
   * This store itself is the default tenant's.
   */
  forTenant(tenant: string): ModelStore;
}

export interface ModelStoreOptions {
  storage: ObjectStorage;
}

/** metadata.json: the public metadata plus where this model's files are. */
/** metadata.json: the metadata (without a rule in models stored before rules were) and the revision. */
type Marker = Omit<ModelMetadata, 'preprocess'> & { preprocess?: ModelMetadata['preprocess']; revision?: string };

const MARKER = 'metadata.json';
const MARKER_KEY = /^models\/([^/]+)\/metadata\.json$/;
/** A revision folder: `r` + its creation time (ms, base 36) + `-` + 8 random hex digits. */
const REVISION_KEY = /^models\/([^/]+)\/r([0-9a-z]+)-[0-9a-f]{8}\//;

/**
 * Models in storage under `models/{id}/`: model.json (TF.js layers format) and weights.bin in
 * a revision folder of their own, then metadata.json naming that revision. metadata.json is
 * written last, only if absent, and deleted first: it is the commit marker, so a listing or a
 * load never sees half a model, two concurrent saves of one id cannot mix their files, and the
 * first to commit stands. (Models stored before revisions existed have their files beside
 * metadata.json and no revision; they are read as they are.)
 */
export function createModelStore({ storage: root }: ModelStoreOptions): ModelStore {
  return tenantViews<ModelStore>(root, (storage, _tenant, forTenant) => tenantModelStore(storage, forTenant))(
    DEFAULT_TENANT,
  );
}

function tenantModelStore(storage: ObjectStorage, forTenant: (tenant: string) => ModelStore): ModelStore {
  const dirOf = (id: string) => {
    if (!RESOURCE_ID.test(id)) throw notFound(id);
    return `models/${id}/`;
  };
  // Metadata never changes once committed: kept per id, so a listing is one listing call plus a
  // read of each new marker.
  const metas = new Map<string, ModelMetadata>();

  async function readMarker(id: string): Promise<Marker> {
    const bytes = await storage.get(`${dirOf(id)}${MARKER}`);
    if (!bytes) throw notFound(id);
    return JSON.parse(bytes.toString('utf8')) as Marker;
  }

  async function readMeta(id: string): Promise<ModelMetadata> {
    const { revision: _, ...meta } = await readMarker(id);
    // Models from before the rule was stored were all trained and served with `mnist`.
    return { ...meta, preprocess: meta.preprocess ?? 'mnist' };
  }

  const filesDir = (id: string, revision: string | undefined) => (revision ? `${dirOf(id)}${revision}/` : dirOf(id));

  async function readFiles(id: string, files: readonly ModelFile[]): Promise<Buffer[]> {
    const { revision } = await readMarker(id);
    const dir = filesDir(id, revision);
    return Promise.all(
      files.map(async (file) => {
        const bytes = await storage.get(`${dir}${file}`);
        if (!bytes) throw notFound(id); // removed meanwhile
        return bytes;
      }),
    );
  }

  async function list(): Promise<ModelMetadata[]> {
    const keys = await storage.list('models/');
    const ids = keys.map((k) => MARKER_KEY.exec(k)?.[1]).filter((id): id is string => !!id && RESOURCE_ID.test(id));
    const present = new Set(ids);
    for (const id of metas.keys()) if (!present.has(id)) metas.delete(id);
    const found = await Promise.all(
      ids.map(async (id) => {
        let meta = metas.get(id);
        if (!meta) {
          meta = await readMeta(id).catch(() => undefined); // removed meanwhile, or unreadable: skipped
          if (meta) metas.set(id, meta);
        }
        return meta;
      }),
    );
    return found
      .filter((m): m is ModelMetadata => m !== undefined)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  const store: ModelStore = {
    async save(meta, model) {
      const dir = dirOf(meta.id);
      const existing = await readMeta(meta.id).catch(() => undefined);
      if (existing) return existing;
      const revision = `r${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
      const { modelJson, weights } = await serialiseModel(model);
      const full: ModelMetadata = { ...meta, sizeBytes: modelJson.length + weights.length };
      const marker: Marker = { ...full, revision };
      let committed = false;
      try {
        await putAll(storage, [
          [`${dir}${revision}/model.json`, modelJson],
          [`${dir}${revision}/weights.bin`, weights],
        ]);
        committed = await storage.putIfAbsent(`${dir}${MARKER}`, Buffer.from(JSON.stringify(marker, null, 2)));
      } catch (err) {
        await storage.deletePrefix(`${dir}${revision}/`).catch(() => {});
        // Another attempt of the same job got there first: that model stands.
        const winner = await readMeta(meta.id).catch(() => undefined);
        if (winner) return winner;
        throw err;
      }
      if (committed) return full;
      await storage.deletePrefix(`${dir}${revision}/`);
      return readMeta(meta.id);
    },

    list,

    get: readMeta,

    async readFile(id, file) {
      const [bytes] = await readFiles(id, [file]);
      return bytes!;
    },

    async fileRef(id, file) {
      const { revision, createdAt } = await readMarker(id);
      const key = `${filesDir(id, revision)}${file}`;
      return {
        // A revision is written once and never changed; models from before revisions have their creation time.
        etag: `"${revision ?? `c${Date.parse(createdAt).toString(36)}`}"`,
        async open() {
          const opened = await storage.getStream(key);
          if (!opened) throw notFound(id); // removed meanwhile
          return opened;
        },
      };
    },

    async load(id) {
      const [json, weights] = await readFiles(id, MODEL_FILES);
      return deserialiseModel(json!, weights!);
    },

    async remove(id) {
      const dir = dirOf(id);
      const { revision } = await readMarker(id);
      // The marker first: from then on nothing lists or loads the model, whatever fails later.
      await storage.delete(`${dir}${MARKER}`);
      metas.delete(id);
      // Only the files that marker named: a save of the same id that started meanwhile writes a
      // revision of its own, which must survive to match its marker.
      if (revision) await storage.deletePrefix(`${dir}${revision}/`);
      else await Promise.all(MODEL_FILES.map((file) => storage.delete(`${dir}${file}`)));
    },

    async sweep(olderThanMs) {
      const stale = new Map<string, Set<string>>();
      for (const key of await storage.list('models/')) {
        const m = REVISION_KEY.exec(key);
        if (!m || !RESOURCE_ID.test(m[1]!) || Date.now() - parseInt(m[2]!, 36) <= olderThanMs) continue;
        const revision = key.slice(`models/${m[1]}/`.length).split('/')[0]!;
        stale.set(m[1]!, (stale.get(m[1]!) ?? new Set()).add(revision));
      }
      let removed = 0;
      for (const [id, revisions] of stale) {
        // Read now, not from the listing: the revision a marker names stays, a marker that cannot
        // be read keeps them all, and with no marker none is named.
        const named = await readMarker(id).then(
          (m) => m.revision ?? '',
          (err: unknown) => (err instanceof NotFoundError ? '' : undefined),
        );
        if (named === undefined) continue;
        for (const revision of revisions) {
          if (revision === named) continue;
          await storage.deletePrefix(`models/${id}/${revision}/`);
          removed++;
        }
      }
      return removed;
    },

    forTenant,
  };
  return store;
}

const notFound = (id: string) => new NotFoundError(`model "${id}" not found`, 'MODEL_NOT_FOUND');
