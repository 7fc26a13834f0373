import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/training/backend.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/training/checkpoint.js';
import { nativeUnavailable } from '../../src/native/addon.js';
import { parameterCount, withDefaults, type TrainingParams } from '../../src/training/params.js';
import { TrainingAbortedError, train } from '../../src/training/trainer.js';
import { bandsDataset, bandsOf } from '../helpers/bands.js';
import { maxRelativeDiff, modelAccuracy } from '../helpers/training-reference.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const params = (over: Partial<TrainingParams> = {}) =>
  withDefaults({ epochs: 3, seed: 42, hiddenLayers: [32], learningRate: 0.005, ...over });
// The native engine where the addon was built; the tfjs engine always.
const engines = nativeUnavailable() === undefined ? (['tfjs', 'native'] as const) : (['tfjs'] as const);

describe.each(engines)('training on %s with the classes of the dataset', (engine) => {
  it.each([2, 3, 7])('sizes the output layer to %i classes and reports N×N figures under their names', async (n) => {
    const data = bandsOf(n);
    const out = await train(data, params(), { engine });
    expect(out.model.outputs[0]!.shape).toEqual([null, n]);
    expect(out.model.countParams()).toBe(parameterCount([32], n));
    const { confusionMatrix: matrix, perClass, testAccuracy } = out.metrics;
    expect(testAccuracy).toBeGreaterThan(0.9);
    expect(modelAccuracy(out.model, data.test)).toBeCloseTo(testAccuracy, 5);
    expect(matrix).toHaveLength(n);
    expect(matrix.every((row) => row.length === n)).toBe(true);
    expect(matrix.map((row) => row.reduce((s, v) => s + v, 0))).toEqual(new Array(n).fill(20));
    expect(perClass.map((c) => c.label)).toEqual(data.labels);
    expect(perClass.every((c) => c.support === 20)).toBe(true);
    const probs = tf.tidy(() => Array.from((out.model.predict(tf.zeros([1, 784])) as tf.Tensor).dataSync()));
    expect(probs).toHaveLength(n);
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    out.model.dispose();
  });
});

describe('a hundred classes (MAX_CLASSES)', () => {
  it.each(engines)('trains on %s with a 100-unit output layer and reports 100×100 figures', async (engine) => {
    const split = (count: number, seed: number) => {
      let state = seed;
      const images = Uint8Array.from(
        { length: count * 784 },
        () => (state = (state * 1103515245 + 12345) % 2 ** 31) % 256,
      );
      return { count, images, labels: Uint8Array.from({ length: count }, (_, i) => i % 100) };
    };
    const data = {
      id: 'hundred',
      train: split(400, 1),
      test: split(200, 2),
      labels: Array.from({ length: 100 }, (_, i) => `c${i}`),
      preprocess: 'fit' as const,
    };
    const out = await train(data, params({ epochs: 1 }), { engine });
    expect(out.model.outputs[0]!.shape).toEqual([null, 100]);
    expect(out.metrics.confusionMatrix).toHaveLength(100);
    expect(out.metrics.confusionMatrix.every((row) => row.length === 100)).toBe(true);
    expect(out.metrics.confusionMatrix.flat().reduce((s, v) => s + v, 0)).toBe(200);
    expect(out.metrics.perClass.map((c) => c.label)).toEqual(data.labels);
    expect(out.metrics.perClass.every((c) => c.support === 2)).toBe(true);
    out.model.dispose();
  });
});

describe.skipIf(engines.length < 2)('the two engines on three classes', () => {
  it('train the same model within float rounding', async () => {
    const data = bandsOf(3);
    const a = await train(data, params({ epochs: 1 }), { engine: 'tfjs' });
    const b = await train(data, params({ epochs: 1 }), { engine: 'native' });
    const wa = a.model.getWeights().map((w) => w.dataSync());
    const wb = b.model.getWeights().map((w) => w.dataSync());
    wa.forEach((w, i) => expect(maxRelativeDiff(w, wb[i]!)).toBeLessThan(1e-3));
    a.model.dispose();
    b.model.dispose();
  });
});

describe('checkpoints of other numbers of classes', () => {
  it('resume a three-class run exactly, and a ten-class checkpoint is not taken up by it', async () => {
    const data = bandsOf(3);
    const p = params({ seed: 5 });
    const straight = await train(data, p);
    let saved: Checkpoint | undefined;
    const controller = new AbortController();
    await expect(
      train(data, p, {
        signal: controller.signal,
        onCheckpoint: async (c) => {
          saved = decodeCheckpoint(encodeCheckpoint(c));
          controller.abort('worker lost');
        },
      }),
    ).rejects.toBeInstanceOf(TrainingAbortedError);
    expect(saved!.values).toHaveLength(parameterCount([32], 3));
    const resumed = await train(data, p, { resumeFrom: saved });
    expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));

    // Same id, size and parameters, but ten classes: the values do not fit, so it starts afresh.
    let ten: Checkpoint | undefined;
    const tenClass = { ...bandsDataset, id: data.id, train: { ...bandsDataset.train } };
    const other = await train(tenClass, { ...p, epochs: 1 }, { onCheckpoint: async (c) => void (ten ??= c) });
    expect(ten!.values).toHaveLength(parameterCount([32], 10));
    const fresh = await train(data, p, {
      resumeFrom: { ...ten!, runKey: JSON.stringify([data.id, data.train.count, p]) },
    });
    expect(fresh.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));
    for (const m of [straight.model, resumed.model, other.model, fresh.model]) m.dispose();
  });
});
