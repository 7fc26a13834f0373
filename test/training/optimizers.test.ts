import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/training/backend.js';
import { createOptimizer } from '../../src/training/optimizers.js';
import { OPTIMIZERS } from '../../src/training/params.js';
import { createRng } from '../../src/rng.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const reference = { adam: tf.train.adam, sgd: tf.train.sgd, rmsprop: tf.train.rmsprop };

describe('flat-vector optimizers', () => {
  it.each(OPTIMIZERS)('%s follows tf.train step for step', (name) => {
    const rng = createRng(11);
    const size = 1000;
    const start = Float32Array.from({ length: size }, () => rng() - 0.5);
    const gradients = Array.from({ length: 20 }, () => Float32Array.from({ length: size }, () => rng() - 0.5));
    const mine = createOptimizer({ optimizer: name, learningRate: 0.01 }, size);
    const params = start.slice();
    const variable = tf.variable(tf.tensor1d(start));
    const theirs = reference[name](0.01);
    for (const g of gradients) {
      mine.step(params, g);
      tf.tidy(() => theirs.applyGradients([{ name: variable.name, tensor: tf.tensor1d(g) }]));
    }
    const expected = variable.dataSync();
    let maxDiff = 0;
    for (let i = 0; i < size; i++) maxDiff = Math.max(maxDiff, Math.abs(params[i]! - expected[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(mine.state.step).toBe(20);
    expect(params).not.toEqual(start);
    theirs.dispose();
    variable.dispose();
  });
});
