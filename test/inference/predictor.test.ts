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
      await Promise.all([1, 2, 3].map((k) => predictor.predict(meta.id, [syntheticImage(k), syntheticImage(k + 1)])));
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

  it('splits a large request into passes of rowParamsPerPass / parameters rows, answering it as one pass would', async () => {
    const images = Array.from({ length: 40 }, (_, i) => syntheticImage(i % 10, 300 + i));
    const whole = await predictor.predict(meta.id, images);
    const passes: number[] = [];
    // The stored model has 784·32 + 32 + 32·10 + 10 = 25,450 parameters: 100,000 row-parameters are 3 rows.
    const chunked = createPredictor({
      models,
      cacheSize: 2,
      rowParamsPerPass: 100_000,
      observe: { batch: (r) => passes.push(r), cache: () => {} },
    });
    // A second request in the same turn joins the passes after the first one's rows.
    const [big, small] = await Promise.all([chunked.predict(meta.id, images), chunked.predict(meta.id, [images[0]!])]);
    expect(passes).toEqual([...Array<number>(13).fill(3), 2]);
    big.predictions.forEach((p, i) =>
      p.probabilities.forEach((v, c) => expect(v).toBeCloseTo(whole.predictions[i]!.probabilities[c]!, 6)),
    );
    expect(small.predictions[0]!.class).toBe(whole.predictions[0]!.class);
  });

  it('bounds its cache by bytes: a second model evicts the first, a model over the budget is refused', async () => {
    const other = await storeTrainedModel({ models }, { params: { seed: 11 } });
    const bytes = createPredictor({ models, cacheSize: 10, cacheBytes: Math.ceil(meta.sizeBytes * 1.5) });
    const hits: boolean[] = [];
    const observed = createPredictor({
      models,
      cacheSize: 10,
      cacheBytes: Math.ceil(meta.sizeBytes * 1.5),
      observe: { batch: () => {}, cache: (hit) => hits.push(hit) },
    });
    const first = await bytes.predict(meta.id, [syntheticImage(1)]);
    const tensors = tf.memory().numTensors;
    await bytes.predict(other.id, [syntheticImage(1)]); // loads the second, evicts the first
    await new Promise((resolve) => setImmediate(resolve));
    expect(tf.memory().numTensors).toBe(tensors); // one model's weights freed, the other's allocated
    expect((await bytes.predict(meta.id, [syntheticImage(1)])).predictions).toEqual(first.predictions);
    for (const id of [meta.id, meta.id, other.id, meta.id]) await observed.predict(id, [syntheticImage(2)]);
    expect(hits).toEqual([false, true, false, false]);

    const tiny = createPredictor({ models, cacheSize: 10, cacheBytes: meta.sizeBytes - 1 });
    const err = await tiny.predict(meta.id, [syntheticImage(1)]).catch((e: unknown) => e as ConflictError);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).code).toBe('MODEL_TOO_LARGE');
    expect((err as Error).message).toBe(
      `model ${meta.id} is ${meta.sizeBytes.toLocaleString('en-US')} bytes; this API keeps at most ${(meta.sizeBytes - 1).toLocaleString('en-US')} bytes of models loaded (MODEL_CACHE_BYTES)`,
    );
    for (const p of [bytes, observed]) for (const id of [meta.id, other.id]) p.evict(id);
    await new Promise((resolve) => setImmediate(resolve));
    await models.remove(other.id);
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
