import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/training/backend.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/training/checkpoint.js';
import { nativeUnavailable } from '../../src/native/addon.js';
import { withDefaults, type TrainingParams } from '../../src/training/params.js';
import { TrainingAbortedError, train, type TrainOutcome } from '../../src/training/trainer.js';
import { bandsDataset as dataset } from '../helpers/bands.js';
import { maxRelativeDiff, modelAccuracy } from '../helpers/training-reference.js';

// Skipped only where `npm run build` could not build the addon (no compiler or libopenblas-dev).
const why = nativeUnavailable();
const suite = describe.skipIf(why !== undefined);
const title = (what: string) => (why ? `${what} (skipped: ${why})` : what);

beforeAll(async () => {
  await initBackend('wasm'); // the tfjs engine runs on wasm; the stored model is built there too
});

const params = (over: Partial<TrainingParams> = {}) => withDefaults({ epochs: 2, seed: 42, ...over });
const weightsOf = (out: TrainOutcome) => {
  const values = out.model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  out.model.dispose();
  return values;
};
/** Every layer's weights within `tolerance` of the other run's, relative to the layer's largest. */
const expectClose = (a: Float32Array[], b: Float32Array[], tolerance: number) => {
  expect(a).toHaveLength(b.length);
  a.forEach((w, i) => expect(maxRelativeDiff(w, b[i]!)).toBeLessThan(tolerance));
};

suite(title('training on the native engine'), () => {
  it('learns the task and stores an ordinary layers model that agrees with its test metric', async () => {
    const out = await train(dataset, params({ epochs: 3, validationSplit: 0.2 }), { engine: 'native' });
    expect(out.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(out.history[2]!.loss).toBeLessThan(out.history[0]!.loss);
    expect(out.history.every((h) => h.valLoss !== undefined && h.valAccuracy! > 0)).toBe(true);
    expect(out.metrics.testAccuracy).toBeGreaterThan(0.9);
    expect(out.model).toBeInstanceOf(tf.Sequential);
    expect(modelAccuracy(out.model, dataset.test)).toBeCloseTo(out.metrics.testAccuracy, 5);
    out.model.dispose();
  });

  it('gives the same model for the same seed, and another for another seed', async () => {
    const run = async (seed: number) =>
      weightsOf(await train(dataset, params({ epochs: 1, seed }), { engine: 'native' }));
    const a = await run(5);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
  });

  it.each([
    ['relu', 'adam', 0.001],
    ['tanh', 'sgd', 0.1],
    ['sigmoid', 'rmsprop', 0.001],
    ['elu', 'adam', 0.001],
  ] as const)(
    'with %s and %s, gives the model TensorFlow.js gives for the same seed',
    async (activation, optimizer, lr) => {
      const p = params({ activation, optimizer, learningRate: lr, hiddenLayers: [32, 16], validationSplit: 0.1 });
      const native = await train(dataset, p, { engine: 'native' });
      const tfjs = await train(dataset, p, { engine: 'tfjs' });
      native.history.forEach((h, i) => {
        const t = tfjs.history[i]!;
        expect(h.loss).toBeCloseTo(t.loss, 3);
        expect(h.valLoss!).toBeCloseTo(t.valLoss!, 3);
      });
      expect(native.metrics.testLoss).toBeCloseTo(tfjs.metrics.testLoss, 3);
      expectClose(weightsOf(native), weightsOf(tfjs), 1e-4);
    },
  );

  it.each([
    ['tfjs', 'native'],
    ['native', 'tfjs'],
  ] as const)('a checkpoint written on %s resumes on %s', async (first, then) => {
    const p = params({ epochs: 3, seed: 77 });
    const straight = await train(dataset, p, { engine: then });
    let checkpoint: Checkpoint | undefined;
    const controller = new AbortController();
    const interrupted = train(dataset, p, {
      engine: first,
      signal: controller.signal,
      onCheckpoint: async (c) => {
        checkpoint = decodeCheckpoint(encodeCheckpoint(c)); // through the file format
        controller.abort('worker lost');
      },
    });
    await expect(interrupted).rejects.toBeInstanceOf(TrainingAbortedError);
    expect(checkpoint!.epoch).toBe(1);
    const resumed = await train(dataset, p, { engine: then, resumeFrom: checkpoint });
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(resumed.history[0]).toEqual(checkpoint!.history[0]);
    resumed.history.forEach((h, i) => expect(h.loss).toBeCloseTo(straight.history[i]!.loss, 3));
    expectClose(weightsOf(resumed), weightsOf(straight), 1e-4);
  });

  it('leaves no tensors behind and stops between batches when aborted', async () => {
    const before = tf.memory().numTensors;
    const out = await train(dataset, params({ batchSize: 33, validationSplit: 0.1 }), { engine: 'native' });
    out.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const controller = new AbortController();
    const started = train(dataset, params({ epochs: 100, batchSize: 1 }), {
      engine: 'native',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(started).rejects.toBeInstanceOf(TrainingAbortedError);
  });
});
