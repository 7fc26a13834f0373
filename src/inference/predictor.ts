import * as tf from '@tensorflow/tfjs';
import { LRUCache } from 'lru-cache';
import { ConflictError } from '../errors.js';
import type { ModelMetadata, ModelStore } from '../models/store.js';
import { INPUT_SIZE, NORMALISE } from '../training/network.js';

export interface Prediction {
  label: string;
  class: number;
  confidence: number;
  probabilities: number[];
}

export interface Predictor {
  /** Predicts a batch of 784-byte images with the given model, or the newest one. */
  predict(modelId: string | undefined, inputs: Uint8Array[]): Promise<{ modelId: string; predictions: Prediction[] }>;
  /** Forgets a loaded model (after it was deleted). */
  evict(modelId: string): void;
}

interface Loaded {
  meta: ModelMetadata;
  model: tf.LayersModel;
}

/** Most rows one forward pass takes; larger requests are split, smaller ones grouped. */
const MAX_COALESCED_ROWS = 256;

interface PendingBatch {
  loaded: Loaded;
  x: Float32Array;
  rows: number;
  resolve: (probs: Float32Array) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs models from the store, loaded lazily into a bounded LRU cache (an evicted model's
 * tensors are freed). Inputs are normalised exactly as in training.
 *
 * Concurrent requests for the same model are coalesced into one forward pass, as TF Serving
 * and Triton batch dynamically: requests that arrive within one turn of the event loop are
 * queued and run together on the next `setImmediate`, so a lone request waits for nothing and
 * a busy server pays one kernel launch per group instead of one per request.
 */
export interface PredictorObserver {
  /** Rows in one forward pass. */
  batch(rows: number): void;
  /** Whether a prediction found its model loaded. */
  cache(hit: boolean): void;
}

export function createPredictor({
  models,
  cacheSize,
  observe,
}: {
  models: ModelStore;
  cacheSize: number;
  observe?: PredictorObserver;
}): Predictor {
  const cache = new LRUCache<string, Promise<Loaded>>({
    max: cacheSize,
    // Freed on a later turn: predictions already queued for this model (their forward pass is
    // scheduled with setImmediate, before this) still run on it instead of on freed weights.
    dispose: (loaded) => void loaded.then((l) => setImmediate(() => l.model.dispose())).catch(() => {}),
  });
  const pending = new Map<string, PendingBatch[]>();

  function load(id: string): Promise<Loaded> {
    let entry = cache.get(id);
    observe?.cache(entry !== undefined);
    if (!entry) {
      entry = Promise.all([models.get(id), models.load(id)]).then(([meta, model]) => ({ meta, model }));
      cache.set(id, entry);
      entry.catch(() => cache.delete(id));
    }
    return entry;
  }

  function run(id: string): void {
    const queue = pending.get(id) ?? [];
    pending.delete(id);
    while (queue.length > 0) {
      // Take requests in arrival order up to the row budget (a single large request runs alone).
      let rows = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || rows + queue[take]!.rows <= MAX_COALESCED_ROWS)) {
        rows += queue[take]!.rows;
        take++;
      }
      const group = queue.splice(0, take);
      try {
        const x =
          group.length === 1
            ? group[0]!.x
            : concat(
                group.map((g) => g.x),
                rows * INPUT_SIZE,
              );
        const { model } = group[0]!.loaded;
        observe?.batch(rows);
        const probs = tf.tidy(
          () => (model.predict(tf.tensor2d(x, [rows, INPUT_SIZE])) as tf.Tensor).dataSync() as Float32Array,
        );
        const classes = probs.length / rows;
        let offset = 0;
        for (const g of group) {
          g.resolve(probs.subarray(offset * classes, (offset + g.rows) * classes));
          offset += g.rows;
        }
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
  }

  function enqueue(id: string, loaded: Loaded, x: Float32Array, rows: number): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      let queue = pending.get(id);
      if (!queue) {
        queue = [];
        pending.set(id, queue);
        setImmediate(run, id);
      }
      queue.push({ loaded, x, rows, resolve, reject });
    });
  }

  return {
    async predict(modelId, inputs) {
      const id = modelId ?? (await models.latest())?.id;
      if (!id) throw new ConflictError('no model has been trained yet: POST /v1/training-jobs first', 'NO_MODEL');
      const loaded = await load(id);
      const x = new Float32Array(inputs.length * INPUT_SIZE);
      inputs.forEach((pixels, i) => {
        for (let p = 0; p < INPUT_SIZE; p++) x[i * INPUT_SIZE + p] = NORMALISE[pixels[p]!]!;
      });
      const probs = await enqueue(id, loaded, x, inputs.length);
      const { labels } = loaded.meta;
      const classes = labels.length;
      const predictions = inputs.map((_, i) => {
        const row = Array.from(probs.subarray(i * classes, (i + 1) * classes));
        let best = 0;
        for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
        return { label: labels[best]!, class: best, confidence: row[best]!, probabilities: row };
      });
      return { modelId: id, predictions };
    },
    evict(modelId) {
      cache.delete(modelId);
    },
  };
}

function concat(parts: Float32Array[], length: number): Float32Array {
  const out = new Float32Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
