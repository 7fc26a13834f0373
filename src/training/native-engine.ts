import { EVAL_CHUNK, type Engine, type EngineSetup } from './engine.js';
import { loadNative, NATIVE_ACTIVATIONS, type NativeOptimizerConfig } from '../native/addon.js';
import { ADAM_DEFAULTS, RMSPROP_DEFAULTS } from './optimizers.js';
import type { TrainingParams } from './params.js';
import { INPUT_SIZE } from './network.js';

/**
 * The training step in one call to the OpenBLAS addon: it gathers and normalises the batch,
 * runs forward, softmax cross-entropy and backpropagation through cblas_sgemm and updates the
 * parameters, all in the Float32Arrays the network and optimizer own here. (Doing bias,
 * activations and the update in JavaScript between BLAS calls measured slower, see
 * docs/performance.md: ~10 native calls per step instead of one, and JS loops where C's vectorise.)
 */
export function createNativeEngine({ net, optimizer, params, train, order }: EngineSetup): Engine {
  const addon = loadNative();
  const grads = new Float32Array(net.values.length);
  const mlp = new addon.Mlp(
    [INPUT_SIZE, ...net.hidden, net.classes],
    NATIVE_ACTIVATIONS.indexOf(net.activation),
    net.values,
    grads,
    nativeOptimizer(params),
    optimizer.state.buffers,
  );
  const totals = new Float64Array(2);
  return {
    step(from, n) {
      // The step count lives in the optimizer's state, as on the tfjs path (checkpoints keep it).
      mlp.trainStep(train.images, train.labels, order, from, n, ++optimizer.state.step, totals);
    },
    async takeTotals() {
      const out: [number, number] = [totals[0]!, totals[1]!];
      totals.fill(0);
      return out;
    },
    async evaluate(split, rows, keepPredictions = false) {
      const sums = new Float64Array(2);
      const predicted = keepPredictions ? new Int32Array(rows.length) : null;
      for (let from = 0; from < rows.length; from += EVAL_CHUNK) {
        mlp.evaluate(split.images, split.labels, rows, from, Math.min(EVAL_CHUNK, rows.length - from), sums, predicted);
      }
      return { loss: sums[0]! / rows.length, accuracy: sums[1]! / rows.length, predicted: predicted ?? undefined };
    },
    // The network keeps its values; the scratch (up to a few MB for evaluation) goes now.
    dispose: () => mlp.dispose(),
  };
}

/** The addon's description of the optimizer: the same formulas and defaults as optimizers.ts. */
export function nativeOptimizer(params: Pick<TrainingParams, 'optimizer' | 'learningRate'>): NativeOptimizerConfig {
  const kind = { sgd: 0, adam: 1, rmsprop: 2 }[params.optimizer];
  const { beta1, beta2 } = ADAM_DEFAULTS;
  const epsilon = (params.optimizer === 'rmsprop' ? RMSPROP_DEFAULTS : ADAM_DEFAULTS).epsilon;
  return { kind, lr: params.learningRate, beta1, beta2, epsilon, decay: RMSPROP_DEFAULTS.decay };
}
