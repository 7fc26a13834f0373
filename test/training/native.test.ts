import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/training/backend.js';
import { loadNative, nativeUnavailable } from '../../src/native/addon.js';
import { nativeOptimizer } from '../../src/training/native-engine.js';
import { Network } from '../../src/training/network.js';
import { ACTIVATIONS, OPTIMIZERS } from '../../src/training/params.js';
import { createRng } from '../../src/rng.js';
import { autodiffGradients, maxRelativeDiff } from '../helpers/training-reference.js';

// Skipped only where `npm run build` could not build the addon (no compiler or libopenblas-dev).
const why = nativeUnavailable();
const suite = describe.skipIf(why !== undefined);
const title = (what: string) => (why ? `${what} (skipped: ${why})` : what);

beforeAll(async () => {
  await initBackend('wasm'); // the reference side: TF.js on wasm
});

const random = (n: number, rng: () => number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);

suite(title('the OpenBLAS addon'), () => {
  it('runs on one BLAS thread and reports its BLAS', () => {
    const addon = loadNative();
    expect(addon.threads()).toBe(1);
    expect(addon.blasConfig()).toMatch(/^OpenBLAS \d+\.\d+/);
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('sgemm (transA %s, transB %s) multiplies as the definition says', (ta, tb) => {
    const { sgemm } = loadNative();
    const [m, n, k] = [5, 3, 4];
    const rng = createRng(8);
    const a = random(m * k, rng);
    const b = random(k * n, rng);
    const c = random(m * n, rng);
    const at = (i: number, p: number) => (ta ? a[p * m + i]! : a[i * k + p]!);
    const bt = (p: number, j: number) => (tb ? b[j * k + p]! : b[p * n + j]!);
    const expected = Array.from({ length: m * n }, (_, ij) => {
      const [i, j] = [Math.floor(ij / n), ij % n];
      let sum = 0;
      for (let p = 0; p < k; p++) sum += at(i, p) * bt(p, j);
      return 2 * sum + 0.5 * c[ij]!;
    });
    sgemm(ta, tb, m, n, k, 2, a, ta ? m : k, b, tb ? k : n, 0.5, c, n);
    Array.from(c).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('refuses arrays too short for the sizes given', () => {
    const { sgemm } = loadNative();
    const small = new Float32Array(4);
    expect(() => sgemm(false, false, 3, 3, 3, 1, small, 3, small, 3, 0, small, 3)).toThrow(RangeError);
  });

  it.each(ACTIVATIONS)('gradients match TF.js autodiff for %s', (activation) => {
    const { Mlp } = loadNative();
    const net = new Network([16, 12], activation, 3);
    const rng = createRng(5);
    const x = random(8 * 784, rng);
    const labels = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 9]);
    const grads = new Float32Array(net.values.length);
    const stats = new Float64Array(2);
    const config = nativeOptimizer({ optimizer: 'sgd', learningRate: 0.1 });
    new Mlp([784, 16, 12, 10], ACTIVATIONS.indexOf(activation), net.values, grads, config, []).lossAndGrads(
      x,
      labels,
      8,
      stats,
    );
    const xt = tf.tensor2d(x, [8, 784]);
    const yt = tf.tensor1d(labels, 'int32');
    const { grads: reference, loss } = autodiffGradients(net, xt, yt);
    expect(maxRelativeDiff(grads, reference)).toBeLessThan(1e-4);
    expect(stats[0]! / 8).toBeCloseTo(loss, 4);
    expect(stats[1]).toBeGreaterThanOrEqual(0);
    tf.dispose([xt, yt]);
    net.dispose();
  });

  it.each([
    [3, 'relu'],
    [2, 'tanh'],
    [37, 'elu'],
  ] as const)('gradients match TF.js autodiff with %i classes (%s)', (classes, activation) => {
    const { Mlp } = loadNative();
    const net = new Network([16], activation, 11, classes);
    expect(net.shapes.at(-1)).toEqual([16, classes]);
    const rng = createRng(6);
    const x = random(9 * 784, rng);
    const labels = Int32Array.from({ length: 9 }, (_, i) => (i * 5) % classes);
    const grads = new Float32Array(net.values.length);
    const stats = new Float64Array(2);
    const config = nativeOptimizer({ optimizer: 'sgd', learningRate: 0.1 });
    const mlp = new Mlp([784, 16, classes], ACTIVATIONS.indexOf(activation), net.values, grads, config, []);
    mlp.lossAndGrads(x, labels, 9, stats);
    const xt = tf.tensor2d(x, [9, 784]);
    const yt = tf.tensor1d(labels, 'int32');
    const { grads: reference, loss } = autodiffGradients(net, xt, yt);
    expect(maxRelativeDiff(grads, reference)).toBeLessThan(1e-4);
    expect(stats[0]! / 9).toBeCloseTo(loss, 4);
    // The output layer is the dataset's: label `classes` is not one of them.
    expect(() => mlp.lossAndGrads(x.subarray(0, 784), Int32Array.of(classes), 1, stats)).toThrow(/not a class/);
    mlp.dispose();
    tf.dispose([xt, yt]);
    net.dispose();
  });

  it('rejects labels that are not classes and rows past the data set', () => {
    const { Mlp } = loadNative();
    const net = new Network([4], 'relu', 1);
    const mlp = new Mlp(
      [784, 4, 10],
      0,
      net.values,
      new Float32Array(net.values.length),
      nativeOptimizer({ optimizer: 'sgd', learningRate: 0.1 }),
      [],
    );
    const stats = new Float64Array(2);
    expect(() => mlp.lossAndGrads(new Float32Array(784), Int32Array.of(10), 1, stats)).toThrow(/not a class/);
    const images = new Uint8Array(2 * 784);
    const labels = Uint8Array.of(1, 2);
    expect(() => mlp.evaluate(images, labels, Uint32Array.of(0, 2), 0, 2, stats, null)).toThrow(/past the data set/);
    expect(stats).toEqual(new Float64Array(2));
    mlp.evaluate(images, labels, Uint32Array.of(0, 1), 0, 2, stats, null);
    expect(stats[0]).toBeGreaterThan(0);
    mlp.dispose();
    expect(() => mlp.evaluate(images, labels, Uint32Array.of(0, 1), 0, 2, stats, null)).toThrow(/disposed/);
    const grads = new Float32Array(net.values.length);
    const adam = nativeOptimizer({ optimizer: 'adam', learningRate: 0.001 });
    expect(() => new Mlp([784, 4, 10], 0, net.values, grads, adam, [grads])).toThrow(/missing optimizer buffers/);
  });
});

const reference = { adam: tf.train.adam, sgd: tf.train.sgd, rmsprop: tf.train.rmsprop };

suite(title('native optimizers'), () => {
  it.each(OPTIMIZERS)('%s follows tf.train step for step', (name) => {
    const { update } = loadNative();
    const rng = createRng(11);
    const size = 1000;
    const start = Float32Array.from({ length: size }, () => rng() - 0.5);
    const gradients = Array.from({ length: 20 }, () => Float32Array.from({ length: size }, () => rng() - 0.5));
    const config = nativeOptimizer({ optimizer: name, learningRate: 0.01 });
    const buffers = [new Float32Array(size), new Float32Array(size)];
    const params = start.slice();
    const variable = tf.variable(tf.tensor1d(start));
    const theirs = reference[name](0.01);
    gradients.forEach((g, i) => {
      update(config, i + 1, params, g, buffers);
      tf.tidy(() => theirs.applyGradients([{ name: variable.name, tensor: tf.tensor1d(g) }]));
      // Compared after every step, not only at the end: a wrong step count would show at once.
      expect(maxRelativeDiff(params, variable.dataSync() as Float32Array)).toBeLessThan(1e-5);
    });
    expect(params).not.toEqual(start);
    theirs.dispose();
    variable.dispose();
  });
});
