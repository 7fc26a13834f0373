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

/**
 * Runs models from the store, loaded lazily into a bounded LRU cache (an evicted model's
 * tensors are freed). Inputs are normalised exactly as in training.
 */
export function createPredictor({ models, cacheSize }: { models: ModelStore; cacheSize: number }): Predictor {
  const cache = new LRUCache<string, Promise<Loaded>>({
    max: cacheSize,
    dispose: (loaded) => void loaded.then((l) => l.model.dispose()).catch(() => {}),
  });

  function load(id: string): Promise<Loaded> {
    let entry = cache.get(id);
    if (!entry) {
      entry = Promise.all([models.get(id), models.load(id)]).then(([meta, model]) => ({ meta, model }));
      cache.set(id, entry);
      entry.catch(() => cache.delete(id));
    }
    return entry;
  }

  return {
    async predict(modelId, inputs) {
      const id = modelId ?? (await models.latest())?.id;
      if (!id) throw new ConflictError('no model has been trained yet: POST /v1/training-jobs first', 'NO_MODEL');
      const { meta, model } = await load(id);
      const x = new Float32Array(inputs.length * INPUT_SIZE);
      inputs.forEach((pixels, i) => {
        for (let p = 0; p < INPUT_SIZE; p++) x[i * INPUT_SIZE + p] = NORMALISE[pixels[p]!]!;
      });
      const probs = tf.tidy(() => (model.predict(tf.tensor2d(x, [inputs.length, INPUT_SIZE])) as tf.Tensor).dataSync());
      const classes = meta.labels.length;
      const predictions = inputs.map((_, i) => {
        const row = Array.from(probs.subarray(i * classes, (i + 1) * classes));
        let best = 0;
        for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
        return { label: meta.labels[best]!, class: best, confidence: row[best]!, probabilities: row };
      });
      return { modelId: id, predictions };
    },
    evict(modelId) {
      cache.delete(modelId);
    },
  };
}
