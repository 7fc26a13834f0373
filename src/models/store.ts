import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NotFoundError } from '../errors.js';
import type { ModelMetadata } from './types.js';
import { RESOURCE_ID } from '../schemas/common.js';

export type { ModelMetadata } from './types.js';

export const MODEL_FILES = ['model.json', 'weights.bin'] as const;
export type ModelFile = (typeof MODEL_FILES)[number];

export interface ModelStore {
  /** Stores a trained model with its metadata; saving the same id twice keeps the first. */
  save(meta: Omit<ModelMetadata, 'sizeBytes'>, model: tf.LayersModel): Promise<ModelMetadata>;
  /** Newest first. */
  list(): Promise<ModelMetadata[]>;
  get(id: string): Promise<ModelMetadata>;
  latest(): Promise<ModelMetadata | undefined>;
  readFile(id: string, file: ModelFile): Promise<Buffer>;
  load(id: string): Promise<tf.LayersModel>;
  remove(id: string): Promise<void>;
}

const RECHECK_MS = 250;

/**
 * Models on the filesystem: `dir/models/{id}/` holds model.json (TF.js layers format),
 * weights.bin and metadata.json. A model is written into a temporary directory and renamed
 * into place, and deleted by renaming it away first, so a listing or a load never sees half
 * a model, whatever crashes when.
 */
export function createModelStore({ dir }: { dir: string }): ModelStore {
  const root = join(dir, 'models');
  const pathOf = (id: string) => {
    if (!RESOURCE_ID.test(id)) throw notFound(id);
    return join(root, id);
  };
  // The listing is cached against the directory's mtime, which every rename in or out changes,
  // and the mtime is looked at most every RECHECK_MS: `POST /v1/predict` asks for the newest
  // model on every request. This process's own changes drop the cache at once.
  let listed: { mtimeMs: number; checkedAt: number; items: ModelMetadata[] } | undefined;

  async function readMeta(id: string): Promise<ModelMetadata> {
    try {
      return JSON.parse(await readFile(join(pathOf(id), 'metadata.json'), 'utf8')) as ModelMetadata;
    } catch (err) {
      if (isMissing(err)) throw notFound(id);
      throw err;
    }
  }

  const store: ModelStore = {
    async save(meta, model) {
      const target = pathOf(meta.id);
      const existing = await readMeta(meta.id).catch(() => undefined);
      if (existing) return existing;
      const tmp = join(root, `.tmp-${meta.id}-${randomBytes(4).toString('hex')}`);
      await mkdir(tmp, { recursive: true });
      try {
        const { modelJson, weights } = await serialise(model);
        const sizeBytes = modelJson.length + weights.length;
        const full: ModelMetadata = { ...meta, sizeBytes };
        await writeFile(join(tmp, 'model.json'), modelJson);
        await writeFile(join(tmp, 'weights.bin'), weights);
        await writeFile(join(tmp, 'metadata.json'), JSON.stringify(full, null, 2));
        await rename(tmp, target);
        listed = undefined;
        return full;
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        // Another attempt of the same job got there first: that model stands.
        const winner = await readMeta(meta.id).catch(() => undefined);
        if (winner) return winner;
        throw err;
      }
    },

    async list() {
      const now = performance.now();
      if (listed && now - listed.checkedAt < RECHECK_MS) return listed.items;
      const mtimeMs = await stat(root).then(
        (s) => s.mtimeMs,
        () => -1,
      );
      if (listed?.mtimeMs === mtimeMs) {
        listed.checkedAt = now;
        return listed.items;
      }
      const names = mtimeMs < 0 ? [] : await readdir(root);
      const metas = await Promise.all(
        names.filter((n) => RESOURCE_ID.test(n)).map((n) => readMeta(n).catch(() => undefined)),
      );
      const items = metas
        .filter((m): m is ModelMetadata => m !== undefined)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
      listed = { mtimeMs, checkedAt: now, items };
      return items;
    },

    get: readMeta,

    async latest() {
      return (await store.list())[0];
    },

    async readFile(id, file) {
      try {
        return await readFile(join(pathOf(id), file));
      } catch (err) {
        if (isMissing(err)) throw notFound(id);
        throw err;
      }
    },

    async load(id) {
      const [json, weights] = await Promise.all([store.readFile(id, 'model.json'), store.readFile(id, 'weights.bin')]);
      const parsed = JSON.parse(json.toString('utf8')) as tf.io.ModelJSON;
      const weightSpecs = parsed.weightsManifest.flatMap((group) => group.weights);
      const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
      return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs, weightData }));
    },

    async remove(id) {
      const target = pathOf(id);
      const doomed = join(root, `.del-${id}-${randomBytes(4).toString('hex')}`);
      try {
        await rename(target, doomed);
        listed = undefined;
      } catch (err) {
        if (isMissing(err)) throw notFound(id);
        throw err;
      }
      await rm(doomed, { recursive: true, force: true });
    },
  };
  return store;
}

/** The model as the files `tf.loadLayersModel('…/model.json')` fetches. */
async function serialise(model: tf.LayersModel): Promise<{ modelJson: Buffer; weights: Buffer }> {
  let out: { modelJson: Buffer; weights: Buffer } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData ?? new ArrayBuffer(0);
      const weights = Buffer.concat((Array.isArray(data) ? data : [data]).map((b) => Buffer.from(b)));
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      out = { modelJson: Buffer.from(JSON.stringify(json)), weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

const notFound = (id: string) => new NotFoundError(`model "${id}" not found`, 'MODEL_NOT_FOUND');
const isMissing = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';
