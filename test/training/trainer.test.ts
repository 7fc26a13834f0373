import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/training/backend.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/training/checkpoint.js';
import { withDefaults, type TrainingParams } from '../../src/training/params.js';
import { TrainingAbortedError, train, type EpochReport } from '../../src/training/trainer.js';
import { bandsDataset as dataset } from '../helpers/bands.js';
import { modelAccuracy } from '../helpers/training-reference.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const params = (over: Partial<TrainingParams> = {}) => withDefaults({ epochs: 3, seed: 42, ...over });

describe('train', () => {
  it('reports every epoch, lowers the loss and learns the task', async () => {
    const reports: EpochReport[] = [];
    const out = await train(dataset, params({ validationSplit: 0.2 }), { onEpoch: (r) => void reports.push(r) });
    expect(reports.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(reports.every((r) => r.epochs === 3 && r.samplesPerSecond > 0 && r.valLoss !== undefined)).toBe(true);
    expect(reports[2]!.loss).toBeLessThan(reports[0]!.loss);
    expect(out.history).toHaveLength(3);
    expect(out.metrics.testAccuracy).toBeGreaterThan(0.9);
    // The saved model gives the same answers as the test metric says.
    expect(modelAccuracy(out.model, dataset.test)).toBeCloseTo(out.metrics.testAccuracy, 5);
    out.model.dispose();
  });

  it('reports a confusion matrix and per-class figures that agree with the test accuracy', async () => {
    const out = await train(dataset, params({ epochs: 1, hiddenLayers: [8], learningRate: 0.0005 }));
    out.model.dispose();
    const { confusionMatrix: matrix, perClass, testAccuracy } = out.metrics;
    expect(matrix).toHaveLength(10);
    expect(matrix.every((row) => row.length === 10 && row.every((v) => Number.isInteger(v) && v >= 0))).toBe(true);
    const total = matrix.flat().reduce((s, v) => s + v, 0);
    expect(total).toBe(dataset.test.count);
    const diagonal = matrix.reduce((s, row, k) => s + row[k]!, 0);
    expect(diagonal / total).toBeCloseTo(testAccuracy, 10);
    // Rows are true classes: each row holds that class's test images (20 of each here).
    expect(matrix.map((row) => row.reduce((s, v) => s + v, 0))).toEqual(new Array(10).fill(20));
    expect(perClass.map((c) => c.label)).toEqual(dataset.labels);
    perClass.forEach((c, k) => {
      const column = matrix.reduce((s, row) => s + row[k]!, 0);
      expect(c.support).toBe(20);
      expect(c.recall).toBeCloseTo(matrix[k]![k]! / 20, 10);
      expect(c.precision).toBeCloseTo(column === 0 ? 0 : matrix[k]![k]! / column, 10);
    });
  });

  it('gives the same model for the same seed, and another for another seed', async () => {
    const weights = async (seed: number) => {
      const out = await train(dataset, params({ epochs: 1, seed }));
      const values = out.model.getWeights().map((w) => Array.from(w.dataSync()));
      out.model.dispose();
      return values;
    };
    const a = await weights(5);
    expect(await weights(5)).toEqual(a);
    expect(await weights(6)).not.toEqual(a);
  });

  it.each(['tanh', 'sigmoid', 'elu'] as const)('trains with %s and every optimizer', async (activation) => {
    for (const optimizer of ['adam', 'sgd', 'rmsprop'] as const) {
      const lr = optimizer === 'sgd' ? 0.1 : 0.001;
      const out = await train(
        dataset,
        params({ epochs: 2, activation, optimizer, learningRate: lr, hiddenLayers: [32] }),
      );
      expect(out.history[1]!.loss).toBeLessThan(out.history[0]!.loss);
      out.model.dispose();
    }
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const out = await train(dataset, params({ epochs: 2, batchSize: 33, validationSplit: 0.1 }));
    out.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("reports the running epoch's samples between epochs, growing, never past the epoch", async () => {
    const seen: { epoch: number; samples: number; samplesTotal: number }[] = [];
    // A wide network one sample at a time: the epoch lasts long enough for several reports.
    const out = await train(dataset, params({ epochs: 1, batchSize: 2, hiddenLayers: [256, 256] }), {
      onSamples: (r) => void seen.push(r),
      samplesEveryMs: 0,
    });
    out.model.dispose();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.epoch === 1 && r.samplesTotal === dataset.train.count)).toBe(true);
    expect(
      seen.every(
        (r, i) => r.samples > 0 && r.samples <= r.samplesTotal && (i === 0 || r.samples > seen[i - 1]!.samples),
      ),
    ).toBe(true);
  });

  it('stops between batches when aborted', async () => {
    const controller = new AbortController();
    const started = train(dataset, params({ epochs: 100, batchSize: 1 }), { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(started).rejects.toBeInstanceOf(TrainingAbortedError);
  });
});

describe('checkpoints', () => {
  it('resuming from an epoch checkpoint gives exactly the run that never stopped', async () => {
    const p = params({ epochs: 3, validationSplit: 0.1, seed: 77 });
    const straight = await train(dataset, p);
    const checkpoints: Checkpoint[] = [];
    const controller = new AbortController();
    const interrupted = train(dataset, p, {
      signal: controller.signal,
      onCheckpoint: async (c) => {
        checkpoints.push(decodeCheckpoint(encodeCheckpoint(c))); // through the file format
        if (c.epoch === 1) controller.abort('worker lost');
      },
    });
    await expect(interrupted).rejects.toBeInstanceOf(TrainingAbortedError);
    expect(checkpoints.map((c) => c.epoch)).toEqual([1]);
    const epochsSeen: number[] = [];
    const resumed = await train(dataset, p, {
      resumeFrom: checkpoints[0],
      onEpoch: (r) => void epochsSeen.push(r.epoch),
    });
    expect(epochsSeen).toEqual([2, 3]);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(resumed.history[0]).toEqual(checkpoints[0]!.history[0]);
    expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));
    const a = straight.model.getWeights().map((w) => Array.from(w.dataSync()));
    const b = resumed.model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b).toEqual(a);
    straight.model.dispose();
    resumed.model.dispose();
  });

  it('ignores a checkpoint of another run', async () => {
    let checkpoint: Checkpoint | undefined;
    const first = await train(dataset, params({ epochs: 1, seed: 1 }), {
      onCheckpoint: async (c) => void (checkpoint = decodeCheckpoint(encodeCheckpoint(c))),
    });
    const other = await train(dataset, params({ epochs: 1, seed: 2 }), { resumeFrom: checkpoint });
    expect(other.history).toHaveLength(1);
    expect(other.history[0]!.loss).not.toEqual(first.history[0]!.loss);
    first.model.dispose();
    other.model.dispose();
  });
});
