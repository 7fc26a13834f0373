import type * as tf from '@tensorflow/tfjs';
import { NATIVE_ACTIVATIONS, type NativeAddon } from '../native/addon.js';
import { INPUT_SIZE } from '../schemas/image-shape.js';

/** A model's forward pass on the OpenBLAS addon: softmax probabilities of normalised rows. */
export interface NativeForward {
  infer(x: Float32Array, rows: number): Float32Array;
  /** Frees the addon's copy of the weights and its scratch memory. */
  dispose(): void;
}

/**
 * The model as one addon call per forward pass, when it is what this service trains: Dense
 * layers with bias, one hidden activation the addon knows, a softmax output. Per pass that is
 * one call instead of a dozen TensorFlow.js kernels and tensors, which on the small batches of a
 * busy API cost more than the arithmetic (docs/performance.md). The weights are copied once;
 * the caller may dispose of the TensorFlow.js model after. Undefined for any other model.
 */
export function nativeForward(model: tf.LayersModel, addon: NativeAddon): NativeForward | undefined {
  // A chain of layers from one 784-value input to one output: a Sequential model, nothing branched.
  if (model.getClassName() !== 'Sequential' || model.inputs.length !== 1 || model.outputs.length !== 1)
    return undefined;
  const input = model.inputs[0]!.shape;
  if (input.length !== 2 || input[1] !== INPUT_SIZE) return undefined;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (layers.length === 0 || layers.some((l) => l.getClassName() !== 'Dense')) return undefined;
  const configs = layers.map((l) => l.getConfig());
  if (configs.some((c) => c.useBias === false)) return undefined;
  const hidden = [...new Set(configs.slice(0, -1).map((c) => String(c.activation ?? 'linear')))];
  if (String(configs.at(-1)!.activation) !== 'softmax' || hidden.length > 1) return undefined;
  const activation = hidden.length === 0 ? 0 : NATIVE_ACTIVATIONS.indexOf(hidden[0] as 'relu');
  if (activation < 0) return undefined;

  const weights = layers.map((l) => l.getWeights());
  const sizes = [INPUT_SIZE, ...weights.map(([kernel]) => kernel?.shape[1] ?? 0)];
  // Each kernel [fan-in, units] takes what the layer before gives; each bias has its units.
  const chained = weights.every(
    ([kernel, bias, ...more], l) =>
      more.length === 0 &&
      kernel?.rank === 2 &&
      kernel.shape[0] === sizes[l] &&
      bias?.rank === 1 &&
      bias.shape[0] === sizes[l + 1],
  );
  if (!chained) return undefined;
  // Kernel (row-major [fan-in, units]) then bias, layer after layer: the addon's layout.
  const params = new Float32Array(weights.reduce((n, [k, b]) => n + k!.size + b!.size, 0));
  let at = 0;
  for (const [kernel, bias] of weights) {
    for (const t of [kernel!, bias!]) {
      params.set(t.dataSync() as Float32Array, at);
      at += t.size;
    }
  }
  const mlp = new addon.Mlp(sizes, activation, params, null, SGD, []);
  const classes = sizes.at(-1)!;
  return {
    infer(x, rows) {
      const out = new Float32Array(rows * classes);
      mlp.infer(x, rows, out);
      return out;
    },
    dispose: () => mlp.dispose(),
  };
}

/** An inference-only MLP still names an optimizer; it never steps. */
const SGD = { kind: 0, lr: 0, beta1: 0, beta2: 0, epsilon: 0, decay: 0 };
