import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { denseStack } from '../../src/inference/dense-stack.js';
import { initBackend } from '../../src/training/backend.js';

const model = (hidden: string, layers: tf.layers.Layer[] = []) => {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [784], units: 32, activation: hidden as 'relu' }));
  for (const l of layers) m.add(l);
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
};

describe('a stack of Dense layers as fused kernels', () => {
  beforeAll(() => initBackend('wasm'));

  it.each(['relu', 'tanh', 'sigmoid', 'elu', 'linear'])('gives what predict() gives with %s hidden units', (act) => {
    const m = model(act, [tf.layers.dense({ units: 16, activation: act as 'relu' })]);
    const forward = denseStack(m);
    expect(forward).toBeDefined();
    const x = tf.randomUniform([37, 784], -1, 1, 'float32', 7) as tf.Tensor2D;
    const predicted = m.predict(x) as tf.Tensor;
    const want = predicted.dataSync();
    predicted.dispose();
    const before = tf.memory().numTensors;
    const output = tf.tidy(() => forward!(x));
    // The tidy kept the output alone: no intermediate of the stack outlives the pass.
    expect(tf.memory().numTensors).toBe(before + 1);
    const got = output.dataSync();
    output.dispose();
    expect(got.length).toBe(37 * 10);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
    x.dispose();
    m.dispose();
  });

  it('leaves any other model to predict()', () => {
    const withDropout = model('relu', [tf.layers.dropout({ rate: 0.5 })]);
    expect(denseStack(withDropout)).toBeUndefined();
    const selu = model('selu');
    expect(denseStack(selu)).toBeUndefined();
    withDropout.dispose();
    selu.dispose();
  });
});
