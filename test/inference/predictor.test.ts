import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import { createPredictor, type Predictor } from '../../src/inference/predictor.js';
import { createModelStore, type ModelMetadata, type ModelStore } from '../../src/models/store.js';
import { createFsStorage } from '../../src/storage/fs.js';
import { storeTrainedModel, syntheticImage } from '../helpers/model.js';

describe('predictor', () => {
  let dir: string;
  let models: ModelStore;
  let predictor: Predictor;
  let meta: ModelMetadata;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainyard-predictor-'));
    models = createModelStore({ storage: createFsStorage({ dir }) });
    predictor = createPredictor({ models, cacheSize: 2 });
    await expect(predictor.predict(undefined, [syntheticImage(1)])).rejects.toBeInstanceOf(ConflictError);
    meta = await storeTrainedModel({ models });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('answers concurrent requests, batched together, exactly as one at a time', async () => {
    const images = Array.from({ length: 40 }, (_, i) => syntheticImage(i % 10, i));
    const alone: number[][] = [];
    for (const img of images) alone.push((await predictor.predict(meta.id, [img])).predictions[0]!.probabilities);
    // Issued in one tick: the predictor runs them as one forward pass.
    const together = await Promise.all(images.map((img) => predictor.predict(meta.id, [img])));
    together.forEach((r, i) => {
      r.predictions[0]!.probabilities.forEach((p, c) => expect(p).toBeCloseTo(alone[i]![c]!, 6));
    });
    expect(together.map((r) => r.predictions[0]!.class)).toEqual(images.map((_, i) => i % 10));
  });

  it('keeps its tensor count flat over many predictions', async () => {
    await predictor.predict(meta.id, [syntheticImage(3)]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) {
      await Promise.all([1, 2, 3].map((k) => predictor.predict(undefined, [syntheticImage(k), syntheticImage(k + 1)])));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('forgets a deleted model', async () => {
    const other = await storeTrainedModel({ models }, { params: { seed: 8 } });
    expect((await predictor.predict(other.id, [syntheticImage(2)])).modelId).toBe(other.id);
    await models.remove(other.id);
    predictor.evict(other.id);
    await expect(predictor.predict(other.id, [syntheticImage(2)])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers predictions already queued for a model that is evicted meanwhile', async () => {
    const other = await storeTrainedModel({ models }, { params: { seed: 9 } });
    const expected = (await predictor.predict(other.id, [syntheticImage(4)])).predictions[0]!.probabilities;
    const queued = [predictor.predict(other.id, [syntheticImage(4)]), predictor.predict(other.id, [syntheticImage(4)])];
    await new Promise((resolve) => process.nextTick(resolve)); // queued, not yet run
    predictor.evict(other.id);
    for (const result of await Promise.all(queued)) {
      result.predictions[0]!.probabilities.forEach((p, c) => expect(p).toBeCloseTo(expected[c]!, 6));
    }
    const numTensors = tf.memory().numTensors;
    await new Promise((resolve) => setImmediate(resolve));
    expect(tf.memory().numTensors).toBeLessThan(numTensors); // and its weights are freed after
  });
});
