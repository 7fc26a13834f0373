import type * as tf from '@tensorflow/tfjs';
import type { EpochRecord } from '../schemas/job.js';
import type { LoadedDataset } from '../datasets/types.js';
import { Network } from './network.js';
import type { TrainingParams } from './params.js';
import type { Checkpoint } from './checkpoint.js';
import { createOptimizer, restoreOptimizer } from './optimizers.js';
import { currentBackend } from './backend.js';
import type { Engine, EngineSetup } from './engine.js';
import { createNativeEngine } from './native-engine.js';
import { createTfjsEngine } from './tfjs-engine.js';
import { createRng, range, shuffle } from '../rng.js';
import { confusionMatrix, perClassMetrics } from './confusion.js';
import type { ModelMetrics } from '../schemas/model.js';

export interface EpochReport extends EpochRecord {
  epochs: number;
  samplesPerSecond: number;
}

export interface EpochSamples {
  epoch: number;
  samples: number;
  samplesTotal: number;
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
  /** Within an epoch, about once a second: the samples of the running epoch trained so far. */
  onSamples?: (report: EpochSamples) => void;
  /** How often onSamples is called at most (default 1000 ms). */
  samplesEveryMs?: number;
  /** Called after every epoch, before onEpoch, with the state to resume from. */
  onCheckpoint?: (checkpoint: Checkpoint) => Promise<void>;
  /** A checkpoint of this same run: training continues after its epoch. Others are ignored. */
  resumeFrom?: Checkpoint;
  /** What computes the steps; by default the addon when initBackend chose it, else TensorFlow.js. */
  engine?: 'native' | 'tfjs';
}

/** How often a training loop gives its event loop a turn (IPC, abort messages, timers). */
const YIELD_EVERY_MS = 50;
/** How often `onSamples` hears how far the running epoch has got. */
const SAMPLES_EVERY_MS = 1000;

export class TrainingAbortedError extends Error {
  constructor(readonly reason: unknown) {
    super(`training was aborted (${String(reason)})`);
  }
}

/**
 * Trains the MLP with a hand-written step on one flat parameter vector (network.ts), computed
 * by the engine of the chosen backend; the result is an ordinary tfjs layers model either way.
 */
export async function train(
  data: LoadedDataset,
  params: TrainingParams,
  hooks: TrainHooks = {},
): Promise<TrainOutcome> {
  let rng = createRng(params.seed);
  const { trainIdx, valIdx } = splitValidation(data.train.count, params.validationSplit, rng);
  const classes = data.labels.length;
  const net = new Network(params.hiddenLayers, params.activation, params.seed, classes);
  const optimizer = createOptimizer(params, net.values.length);
  // The backend is not part of the key: a checkpoint of one backend resumes on another.
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
  const batch = Math.min(params.batchSize, trainIdx.length);
  const setup: EngineSetup = { net, optimizer, params, train: data.train, order: trainIdx, batch };
  const useNative = (hooks.engine ?? (currentBackend() === 'native' ? 'native' : 'tfjs')) === 'native';
  const engine: Engine = useNative ? createNativeEngine(setup) : createTfjsEngine(setup);
  try {
    const checkAbort = () => {
      if (hooks.signal?.aborted) throw new TrainingAbortedError(hooks.signal.reason);
    };
    for (let epoch = firstEpoch; epoch <= params.epochs; epoch++) {
      checkAbort();
      const started = performance.now();
      let lastYield = started;
      shuffle(trainIdx, rng);
      let lastReport = started;
      for (let from = 0; from < trainIdx.length; from += batch) {
        engine.step(from, Math.min(batch, trainIdx.length - from));
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
          checkAbort();
          if (hooks.onSamples && lastYield - lastReport >= (hooks.samplesEveryMs ?? SAMPLES_EVERY_MS)) {
            lastReport = lastYield;
            hooks.onSamples({ epoch, samples: Math.min(from + batch, trainIdx.length), samplesTotal: trainIdx.length });
          }
        }
      }
      const [lossSum, correct] = await engine.takeTotals();
      const seconds = (performance.now() - started) / 1000;
      const record: EpochRecord = {
        epoch,
        loss: lossSum / trainIdx.length,
        accuracy: correct / trainIdx.length,
        seconds: round(seconds, 3),
      };
      if (valIdx.length > 0) {
        const val = await engine.evaluate(data.train, valIdx);
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
    const test = await engine.evaluate(data.test, range(data.test.count), true);
    const matrix = confusionMatrix(data.test.labels, test.predicted!, classes);
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
    engine.dispose();
    net.dispose();
  }
}

/** Holds out the last `fraction` of a seeded permutation of the training rows. */
function splitValidation(count: number, fraction: number, rng: () => number) {
  const all = shuffle(range(count), rng);
  const valCount = Math.floor(count * fraction);
  return { trainIdx: all.slice(0, count - valCount), valIdx: all.slice(count - valCount) };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
