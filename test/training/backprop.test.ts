import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/training/backend.js';
import { lossAndGrads, readGradients } from '../../src/training/backprop.js';
import { Network } from '../../src/training/network.js';
import { createOptimizer } from '../../src/training/optimizers.js';
import { ACTIVATIONS } from '../../src/training/params.js';
import { createRng } from '../../src/rng.js';
import { autodiffGradients, maxRelativeDiff } from '../helpers/training-reference.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('hand-written backpropagation', () => {
  it.each(ACTIVATIONS)('matches TF.js autodiff for %s', (activation) => {
    const net = new Network([16, 12], activation, 3);
    const x = tf.randomNormal([8, 784], 0, 1, 'float32', 5) as tf.Tensor2D;
    const xT = tf.transpose(x) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 9], 'int32');
    const { grads, stats } = lossAndGrads(net, x, xT, labels);
    const mine = readGradients(grads, new Float32Array(net.values.length));
    const reference = autodiffGradients(net, x, labels).grads;
    expect(maxRelativeDiff(mine, reference)).toBeLessThan(1e-4);
    const [lossSum] = stats.dataSync();
    expect(lossSum).toBeGreaterThan(0);
    tf.dispose([x, xT, labels, stats, ...grads]);
    net.dispose();
  });
});

describe('hand-written backpropagation with other numbers of classes', () => {
  it.each([2, 3, 37, 100])('matches TF.js autodiff with %i classes', (classes) => {
    const net = new Network([16, 12], 'relu', 3, classes);
    expect(net.shapes.at(-1)).toEqual([12, classes]);
    const x = tf.randomNormal([8, 784], 0, 1, 'float32', 5) as tf.Tensor2D;
    const xT = tf.transpose(x) as tf.Tensor2D;
    const labels = tf.tensor1d(
      Int32Array.from({ length: 8 }, (_, i) => (i * 7) % classes),
      'int32',
    );
    const { grads, stats } = lossAndGrads(net, x, xT, labels);
    const mine = readGradients(grads, new Float32Array(net.values.length));
    const { grads: reference, loss } = autodiffGradients(net, x, labels);
    expect(mine.length).toBe(784 * 16 + 16 + 16 * 12 + 12 + 12 * classes + classes);
    expect(maxRelativeDiff(mine, reference)).toBeLessThan(1e-4);
    expect(stats.dataSync()[0]! / 8).toBeCloseTo(loss, 4);
    const model = net.toLayersModel();
    expect(model.outputs[0]!.shape).toEqual([null, classes]);
    model.dispose();
    tf.dispose([x, xT, labels, stats, ...grads]);
    net.dispose();
  });
});

describe('a training step', () => {
  it('follows a compiled layers model trained with trainOnBatch (the model.fit path) step for step', async () => {
    const net = new Network([32, 16], 'relu', 9);
    const model = net.toLayersModel();
    model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
    const optimizer = createOptimizer({ optimizer: 'adam', learningRate: 0.001 }, net.values.length);
    const grads = new Float32Array(net.values.length);
    const rng = createRng(4);
    const theirs: number[] = [];
    const ours: number[] = [];
    for (let step = 0; step < 10; step++) {
      const values = Float32Array.from({ length: 16 * 784 }, () => rng() * 2 - 1);
      const labels = Int32Array.from({ length: 16 }, () => Math.floor(rng() * 10));
      const x = tf.tensor2d(values, [16, 784]);
      const xT = tf.transpose(x) as tf.Tensor2D;
      const y = tf.tensor1d(labels, 'int32');
      const oneHot = tf.oneHot(y, 10);
      theirs.push((await model.trainOnBatch(x, oneHot)) as number);
      const r = lossAndGrads(net, x, xT, y);
      ours.push(r.stats.dataSync()[0]! / 16);
      optimizer.step(net.values, readGradients(r.grads, grads));
      net.invalidate();
      tf.dispose([x, xT, y, oneHot, r.stats, ...r.grads]);
    }
    ours.forEach((loss, i) => expect(loss).toBeCloseTo(theirs[i]!, 4));
    const trained = net.toLayersModel();
    const final = trained.getWeights();
    model.getWeights().forEach((w, i) => {
      const a = w.dataSync();
      const b = final[i]!.dataSync();
      let maxDiff = 0;
      for (let k = 0; k < a.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k]! - b[k]!));
      expect(maxDiff).toBeLessThan(1e-4);
    });
    model.dispose();
    trained.dispose();
    net.dispose();
  });
});
