import * as tf from '@tensorflow/tfjs';
import type { EpochRecord } from '../schemas/job.js';
import type { LoadedDataset, Split } from './datasets/types.js';
import { CLASSES, INPUT_SIZE, Network, fillBatch } from './network.js';
import type { TrainingParams } from './params.js';
import { lossAndGrads, readGradients } from './backprop.js';
import type { Checkpoint } from './checkpoint.js';
import { createOptimizer, restoreOptimizer, type Optimizer } from './optimizers.js';
import { createRng, range, shuffle } from './rng.js';
import { confusionMatrix, perClassMetrics } from './confusion.js';
import type { ModelMetrics } from '../schemas/model.js';

export interface EpochReport extends EpochRecord {
  epochs: number;
  samplesPerSecond: number;
}

export interface TrainOutcome {
  model: tf.Sequential;
  history: EpochRecord[];
  metrics: Required<ModelMetrics>;
  samplesPerSecond: number;
}

export interface TrainHooks {
  /** Called after every epoch with that epoch's figures (the worker reports them as job progress). */
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Checked between batches: training stops after the current batch once it is aborted. */
  signal?: AbortSignal;
  /** Called after every epoch, before onEpoch, with the state to resume from. */
  onCheckpoint?: (checkpoint: Checkpoint) => Promise<void>;
  /** A checkpoint of this same run: training continues after its epoch. Others are ignored. */
  resumeFrom?: Checkpoint;
}

/** How often a training loop gives its event loop a turn (IPC, abort messages, timers). */
const YIELD_EVERY_MS = 50;
const EVAL_CHUNK = 2048;

export class TrainingAbortedError extends Error {
  constructor(readonly reason: unknown) {
    super(`training was aborted (${String(reason)})`);
  }
}

/**
 * Trains the MLP with a hand-written step: batches are assembled into reused typed arrays,
 * labels stay integers, and loss/accuracy are summed on the device and read back once per
 * epoch, so a step costs only its own kernels.
 */
export async function train(
  data: LoadedDataset,
  params: TrainingParams,
  hooks: TrainHooks = {},
): Promise<TrainOutcome> {
  let rng = createRng(params.seed);
  const { trainIdx, valIdx } = splitValidation(data.train.count, params.validationSplit, rng);
  const net = new Network(params.hiddenLayers, params.activation, params.seed);
  const optimizer = createOptimizer(params, net.values.length);
  const runKey = JSON.stringify([data.id, data.train.count, params]);
  const history: EpochRecord[] = [];
  let firstEpoch = 1;
  const saved = hooks.resumeFrom;
  if (saved?.runKey === runKey && saved.order.length === trainIdx.length && saved.values.length === net.values.length) {
    net.values.set(saved.values);
    restoreOptimizer(optimizer, saved.optimizer);
    trainIdx.set(saved.order);
    rng = createRng(saved.rngState);
    history.push(...saved.history);
    firstEpoch = saved.epoch + 1;
  }
  const gradBuf = new Float32Array(net.values.length);
  const batch = Math.min(params.batchSize, trainIdx.length);
  const xBuf = new Float32Array(batch * INPUT_SIZE);
  const xTBuf = new Float32Array(batch * INPUT_SIZE);
  const yBuf = new Int32Array(batch);
  let totals: tf.Tensor1D | undefined;
  try {
    const checkAbort = () => {
      if (hooks.signal?.aborted) throw new TrainingAbortedError(hooks.signal.reason);
    };
    for (let epoch = firstEpoch; epoch <= params.epochs; epoch++) {
      checkAbort();
      const started = performance.now();
      let lastYield = started;
      shuffle(trainIdx, rng);
      totals = tf.zeros([2]); // [sum of losses, correct predictions]
      for (let from = 0; from < trainIdx.length; from += batch) {
        const n = Math.min(batch, trainIdx.length - from);
        fillBatch(data.train.images, trainIdx, from, n, xBuf, xTBuf);
        for (let b = 0; b < n; b++) yBuf[b] = data.train.labels[trainIdx[from + b]!]!;
        const next = step(net, optimizer, gradBuf, xBuf, xTBuf, yBuf, n, totals);
        totals.dispose();
        totals = next;
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
          checkAbort();
        }
      }
      const [lossSum, correct] = await totals.data();
      totals.dispose();
      totals = undefined;
      const seconds = (performance.now() - started) / 1000;
      const record: EpochRecord = {
        epoch,
        loss: lossSum! / trainIdx.length,
        accuracy: correct! / trainIdx.length,
        seconds: round(seconds, 3),
      };
      if (valIdx.length > 0) {
        const val = await evaluate(net, data.train, valIdx);
        record.valLoss = val.loss;
        record.valAccuracy = val.accuracy;
      }
      history.push(record);
      await hooks.onCheckpoint?.({
        runKey,
        epoch,
        history: [...history],
        rngState: rng.state(),
        values: net.values,
        optimizer: optimizer.state,
        order: trainIdx,
      });
      await hooks.onEpoch?.({
        ...record,
        epochs: params.epochs,
        samplesPerSecond: Math.round(trainIdx.length / seconds),
      });
    }
    checkAbort();
    const test = await evaluate(net, data.test, range(data.test.count), true);
    const matrix = confusionMatrix(data.test.labels, test.predicted!, CLASSES);
    return {
      model: net.toLayersModel(),
      history,
      metrics: {
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        confusionMatrix: matrix,
        perClass: perClassMetrics(matrix, data.labels),
      },
      samplesPerSecond: Math.round((trainIdx.length * history.length) / history.reduce((s, h) => s + h.seconds, 0)),
    };
  } finally {
    totals?.dispose();
    net.dispose();
  }
}

function step(
  net: Network,
  optimizer: Optimizer,
  gradBuf: Float32Array,
  xBuf: Float32Array,
  xTBuf: Float32Array,
  yBuf: Int32Array,
  n: number,
  totals: tf.Tensor1D,
): tf.Tensor1D {
  const full = n === yBuf.length;
  const x = tf.tensor2d(full ? xBuf : xBuf.subarray(0, n * INPUT_SIZE), [n, INPUT_SIZE]);
  const xT = tf.tensor2d(full ? xTBuf : xTBuf.subarray(0, n * INPUT_SIZE), [INPUT_SIZE, n]);
  const y = tf.tensor1d(full ? yBuf : yBuf.subarray(0, n), 'int32');
  const { grads, stats } = lossAndGrads(net, x, xT, y);
  optimizer.step(net.values, readGradients(grads, gradBuf));
  net.invalidate();
  const next = tf.add(totals, stats) as tf.Tensor1D;
  tf.dispose([x, xT, y, stats, ...grads]);
  return next;
}

/**
 * Mean loss and accuracy over the given rows of a split, in chunks; with `keepPredictions`, also
 * the predicted class of each row (read back with the sums, from the same forward pass).
 */
async function evaluate(
  net: Network,
  split: Split,
  rows: Uint32Array,
  keepPredictions = false,
): Promise<{ loss: number; accuracy: number; predicted?: Int32Array }> {
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
      const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, CLASSES), logits, undefined, 0, tf.Reduction.SUM);
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

/** Holds out the last `fraction` of a seeded permutation of the training rows. */
function splitValidation(count: number, fraction: number, rng: () => number) {
  const all = shuffle(range(count), rng);
  const valCount = Math.floor(count * fraction);
  return { trainIdx: all.slice(0, count - valCount), valIdx: all.slice(count - valCount) };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
