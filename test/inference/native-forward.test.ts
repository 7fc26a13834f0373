import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeForward } from '../../src/inference/native-forward.js';
import { createPredictor } from '../../src/inference/predictor.js';
import { loadNative, nativeUnavailable } from '../../src/native/addon.js';
import { createModelStore, type ModelMetadata, type ModelStore } from '../../src/models/store.js';
import { createFsStorage } from '../../src/storage/fs.js';
import { initBackend } from '../../src/training/backend.js';
import { storeTrainedModel, syntheticImage } from '../helpers/model.js';

const model = (hidden: string[], last = 'softmax', layers: tf.layers.Layer[] = []) => {
  const m = tf.sequential();
  hidden.forEach((activation, i) =>
    m.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [784] } : {}),
        units: 24 - i * 8,
        activation: activation as 'relu',
      }),
    ),
  );
  for (const l of layers) m.add(l);
  m.add(
    tf.layers.dense({
      ...(hidden.length === 0 ? { inputShape: [784] } : {}),
      units: 10,
      activation: last as 'softmax',
    }),
  );
  return m;
};

describe.skipIf(nativeUnavailable())('predictions on the OpenBLAS addon', () => {
  beforeAll(() => initBackend('wasm'));

  it.each([[['relu', 'relu']], [['tanh']], [['sigmoid', 'sigmoid']], [['elu']], [[]]])(
    'give what TensorFlow.js gives with hidden layers %j',
    (hidden) => {
      const m = model(hidden);
      const forward = nativeForward(m, loadNative());
      expect(forward).toBeDefined();
      const x = tf.randomUniform([37, 784], -1, 1, 'float32', 7) as tf.Tensor2D;
      const predicted = m.predict(x) as tf.Tensor;
      const want = predicted.dataSync();
      const got = forward!.infer(x.dataSync() as Float32Array, 37);
      expect(got.length).toBe(37 * 10);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
      for (let r = 0; r < 37; r++) expect(got.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
      forward!.dispose();
      tf.dispose([x, predicted]);
      m.dispose();
    },
  );

  it('leaves every other model to TensorFlow.js', () => {
    const others = [
      model(['relu', 'tanh']), // two hidden activations: the addon computes one
      model(['linear']),
      model(['relu'], 'sigmoid'),
      model(['relu'], 'softmax', [tf.layers.dropout({ rate: 0.5 })]),
    ];
    for (const m of others) expect(nativeForward(m, loadNative())).toBeUndefined();
    const noBias = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [784], units: 10, activation: 'softmax', useBias: false })],
    });
    expect(nativeForward(noBias, loadNative())).toBeUndefined();
    // Not 784 values in, or not one chain from one input to one output.
    const image = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [28, 28], units: 10, activation: 'softmax' })],
    });
    const narrow = tf.sequential({ layers: [tf.layers.dense({ inputShape: [28], units: 10, activation: 'softmax' })] });
    const x = tf.input({ shape: [784] });
    const hidden = tf.layers.dense({ units: 16, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    const heads = [0, 1].map((i) =>
      tf.layers.dense({ units: 10, activation: 'softmax', name: `head${i}` }).apply(hidden),
    ) as tf.SymbolicTensor[];
    const branched = tf.model({ inputs: x, outputs: heads });
    const functional = tf.model({ inputs: x, outputs: heads[0]! });
    for (const m of [image, narrow, branched, functional]) expect(nativeForward(m, loadNative())).toBeUndefined();
    // The two functional models share their layers: disposing one frees them.
    [...others, noBias, image, narrow, branched].forEach((m) => m.dispose());
  });

  it('refuses wrong sizes and training on an MLP made only to infer', () => {
    const forward = nativeForward(model(['relu']), loadNative())!;
    expect(() => forward.infer(new Float32Array(784), 2)).toThrow(/too short/);
    const addon = loadNative();
    const mlp = new addon.Mlp(
      [784, 10],
      0,
      new Float32Array(7850),
      null,
      { kind: 0, lr: 0, beta1: 0, beta2: 0, epsilon: 0, decay: 0 },
      [],
    );
    expect(() => mlp.lossAndGrads(new Float32Array(784), new Int32Array(1), 1, new Float64Array(2))).toThrow(
      /only infers/,
    );
    mlp.dispose();
    forward.dispose();
    expect(() => forward.infer(new Float32Array(784), 1)).toThrow(/disposed/);
  });
});

describe.skipIf(nativeUnavailable())('a predictor on the addon', () => {
  let dir: string;
  let models: ModelStore;
  let meta: ModelMetadata;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainyard-native-predictor-'));
    models = createModelStore({ storage: createFsStorage({ dir }) });
    meta = await storeTrainedModel({ models });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('answers as the TensorFlow.js predictor does, alone and batched, and holds no tensors', async () => {
    const native = createPredictor({ models, cacheSize: 2, native: loadNative() });
    const tfjs = createPredictor({ models, cacheSize: 2 });
    const images = Array.from({ length: 30 }, (_, i) => syntheticImage(i % 10, i));
    const want = await tfjs.predict(meta.id, images);
    const tensors = tf.memory().numTensors;
    const batched = await native.predict(meta.id, images);
    const alone = await Promise.all(images.map((img) => native.predict(meta.id, [img])));
    // The addon's copy of the weights replaces the TensorFlow.js model, which is freed.
    expect(tf.memory().numTensors).toBe(tensors);
    batched.predictions.forEach((p, i) => {
      expect(p.class).toBe(i % 10);
      expect(alone[i]!.predictions[0]!.class).toBe(i % 10);
      p.probabilities.forEach((v, c) => {
        expect(v).toBeCloseTo(want.predictions[i]!.probabilities[c]!, 5);
        expect(alone[i]!.predictions[0]!.probabilities[c]).toBeCloseTo(v, 6);
      });
    });
    native.evict(meta.id);
    // Evicted and loaded again: the freed copy is not the one that answers.
    const again = await native.predict(meta.id, [images[3]!]);
    expect(again.predictions[0]!.probabilities).toEqual(alone[3]!.predictions[0]!.probabilities);
  });
});
