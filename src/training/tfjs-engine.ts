import * as tf from '@tensorflow/tfjs';
import { lossAndGrads, readGradients } from './backprop.js';
import type { Split } from '../datasets/types.js';
import { EVAL_CHUNK, type Engine, type EngineSetup, type Evaluation } from './engine.js';
import { INPUT_SIZE, fillBatch } from './network.js';

/**
 * The training step on TensorFlow.js kernels: batches are assembled into reused typed arrays,
 * labels stay integers, and loss/accuracy are summed on the device and read back once per
 * epoch, so a step costs only its own kernels.
 */
export function createTfjsEngine({ net, optimizer, train, order, batch }: EngineSetup): Engine {
  const gradBuf = new Float32Array(net.values.length);
  const xBuf = new Float32Array(batch * INPUT_SIZE);
  const xTBuf = new Float32Array(batch * INPUT_SIZE);
  const yBuf = new Int32Array(batch);
  let totals: tf.Tensor1D | undefined;
  return {
    step(from, n) {
      fillBatch(train.images, order, from, n, xBuf, xTBuf);
      for (let b = 0; b < n; b++) yBuf[b] = train.labels[order[from + b]!]!;
      const full = n === yBuf.length;
      const x = tf.tensor2d(full ? xBuf : xBuf.subarray(0, n * INPUT_SIZE), [n, INPUT_SIZE]);
      const xT = tf.tensor2d(full ? xTBuf : xTBuf.subarray(0, n * INPUT_SIZE), [INPUT_SIZE, n]);
      const y = tf.tensor1d(full ? yBuf : yBuf.subarray(0, n), 'int32');
      const { grads, stats } = lossAndGrads(net, x, xT, y);
      optimizer.step(net.values, readGradients(grads, gradBuf));
      net.invalidate();
      const next = totals ? (tf.add(totals, stats) as tf.Tensor1D) : tf.keep(stats.clone());
      tf.dispose([x, xT, y, stats, ...grads, ...(totals ? [totals] : [])]);
      totals = next;
    },
    async takeTotals() {
      if (!totals) return [0, 0];
      const [loss, correct] = await totals.data();
      totals.dispose();
      totals = undefined;
      return [loss!, correct!];
    },
    evaluate: (split, rows, keepPredictions) => evaluate(net, split, rows, keepPredictions),
    dispose() {
      totals?.dispose();
      totals = undefined;
    },
  };
}

async function evaluate(
  net: EngineSetup['net'],
  split: Split,
  rows: Uint32Array,
  keepPredictions = false,
): Promise<Evaluation> {
  const xBuf = new Float32Array(Math.min(EVAL_CHUNK, rows.length) * INPUT_SIZE);
  const predicted = keepPredictions ? new Int32Array(rows.length) : undefined;
  let lossSum = 0;
  let correct = 0;
  for (let from = 0; from < rows.length; from += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, rows.length - from);
    fillBatch(split.images, rows, from, n, xBuf);
    const labels = Int32Array.from(rows.subarray(from, from + n), (r) => split.labels[r]!);
    const [sums, classes] = tf.tidy(() => {
      const y = tf.tensor1d(labels, 'int32');
      const logits = net.logits(tf.tensor2d(xBuf.subarray(0, n * INPUT_SIZE), [n, INPUT_SIZE]));
      const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, net.classes), logits, undefined, 0, tf.Reduction.SUM);
      const argMax = tf.argMax(logits, 1);
      return [tf.stack([loss, tf.sum(tf.cast(tf.equal(argMax, y), 'float32'))]), argMax] as const;
    });
    const [l, c] = await sums.data();
    if (predicted) predicted.set(await classes.data(), from);
    tf.dispose([sums, classes]);
    lossSum += l!;
    correct += c!;
  }
  return { loss: lossSum / rows.length, accuracy: correct / rows.length, predicted };
}
