import * as tf from '@tensorflow/tfjs';
import type { TrainingParams } from './params.js';
import { createRng } from '../rng.js';
import { copiesOnUpload } from './wasm-memory.js';

import { DIGIT_CLASSES, INPUT_SIZE, NORMALISE } from '../schemas/image-shape.js';

export { INPUT_SIZE, NORMALISE };

/**
 * Writes `count` images (selected by `order[from…]`) into `out` as normalised floats, row per
 * image, and, when given, into `outT` transposed (column per image) for the weight gradient.
 */
export function fillBatch(
  images: Uint8Array,
  order: ArrayLike<number>,
  from: number,
  count: number,
  out: Float32Array,
  outT?: Float32Array,
): void {
  for (let b = 0; b < count; b++) {
    const src = order[from + b]! * INPUT_SIZE;
    const dst = b * INPUT_SIZE;
    for (let p = 0; p < INPUT_SIZE; p++) out[dst + p] = NORMALISE[images[src + p]!]!;
  }
  if (!outT) return;
  // Written row by row of the transpose: sequential writes, reads from the cached batch.
  for (let p = 0; p < INPUT_SIZE; p++) {
    const row = p * count;
    for (let b = 0; b < count; b++) outT[row + b] = out[b * INPUT_SIZE + p]!;
  }
}

export interface DenseWeights {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

export type Activation = TrainingParams['activation'];

/**
 * The MLP as one flat Float32Array of parameters plus plain ops, rather than a
 * tf.LayersModel. On wasm every kernel launch costs tens of microseconds and a tfjs optimizer
 * spends about ten per variable per step; updating one flat vector in JavaScript (see
 * optimizers.ts) costs less than that, and makes the optimizer's state plain arrays. A step
 * uploads the layers from the vector once, runs only the kernels it needs (fused matMul + bias
 * + ReLU, logits straight into softmax cross-entropy), and `toLayersModel` turns the trained
 * vector into a standard layers model for saving and serving.
 */
export class Network {
  /** Kernel then bias, layer by layer, input to output. */
  readonly values: Float32Array;
  /** [fanIn, units] of each dense layer, input to output. */
  readonly shapes: [number, number][];
  private device: DenseWeights[] | undefined;

  constructor(
    readonly hidden: number[],
    readonly activation: Activation,
    seed: number,
    /** Outputs: the dataset's number of classes. */
    readonly classes: number = DIGIT_CLASSES,
  ) {
    const rng = createRng(seed);
    const sizes = [INPUT_SIZE, ...hidden, classes];
    this.shapes = sizes.slice(1).map((units, i) => [sizes[i]!, units]);
    this.values = new Float32Array(this.shapes.reduce((sum, [fanIn, units]) => sum + fanIn * units + units, 0));
    let offset = 0;
    for (const [fanIn, units] of this.shapes) {
      // Glorot-uniform kernels and zero biases, the Keras/TF.js defaults, from our seeded PRNG.
      const limit = Math.sqrt(6 / (fanIn + units));
      for (let k = 0; k < fanIn * units; k++) this.values[offset + k] = (rng() * 2 - 1) * limit;
      offset += fanIn * units + units;
    }
  }

  /** The layers' weights on the device, uploaded once per change of `values`. */
  layers(): DenseWeights[] {
    if (!this.device) {
      // A view where the backend copies on upload (no 0.4 MB of garbage per step), else a copy:
      // `values` changes after every step.
      const part = copiesOnUpload()
        ? (from: number, to: number) => this.values.subarray(from, to)
        : (from: number, to: number) => this.values.slice(from, to);
      let offset = 0;
      this.device = this.shapes.map(([fanIn, units]) => {
        // Kept: they may be first uploaded inside a caller's tf.tidy but outlive it.
        const kernel = tf.keep(tf.tensor2d(part(offset, offset + fanIn * units), [fanIn, units]));
        offset += fanIn * units;
        const bias = tf.keep(tf.tensor1d(part(offset, offset + units)));
        offset += units;
        return { kernel, bias };
      });
    }
    return this.device;
  }

  /** Call after changing `values`: the next use uploads them again. */
  invalidate(): void {
    if (this.device) tf.dispose(this.device.flatMap((l) => [l.kernel, l.bias]));
    this.device = undefined;
  }

  /** Logits for a batch [n, 784] (call inside tf.tidy). */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return this.forward(x).at(-1)!;
  }

  /** Every layer's output, input first and logits last (what backpropagation needs). */
  forward(x: tf.Tensor2D): tf.Tensor2D[] {
    const layers = this.layers();
    const outputs = [x];
    const last = layers.length - 1;
    layers.forEach(({ kernel, bias }, i) => {
      const act = i === last ? 'linear' : this.activation;
      const h = outputs[i]!;
      outputs.push(
        act === 'linear' || act === 'relu'
          ? (tf.fused.matMul({ a: h, b: kernel, bias, activation: act }) as tf.Tensor2D)
          : applyActivation(tf.add(tf.matMul(h, kernel), bias) as tf.Tensor2D, act),
      );
    });
    return outputs;
  }

  /** A standard layers model (softmax output) holding copies of the trained weights. */
  toLayersModel(): tf.Sequential {
    const model = tf.sequential();
    this.shapes.forEach(([fanIn, units], i) => {
      const isLast = i === this.shapes.length - 1;
      model.add(
        tf.layers.dense({
          units,
          activation: isLast ? 'softmax' : this.activation,
          ...(i === 0 ? { inputShape: [fanIn] } : {}),
        }),
      );
    });
    this.layers().forEach(({ kernel, bias }, i) => model.layers[i]!.setWeights([kernel, bias]));
    return model;
  }

  dispose(): void {
    this.invalidate();
  }
}

function applyActivation(x: tf.Tensor2D, act: Exclude<Activation, 'relu'>): tf.Tensor2D {
  switch (act) {
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'elu':
      return tf.elu(x);
  }
}
