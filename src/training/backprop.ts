import * as tf from '@tensorflow/tfjs';
import type { Activation, Network } from './network.js';
import { wasmView } from './wasm-memory.js';

export interface StepResult {
  /** Gradients of the mean softmax cross-entropy in parameter-vector order (kernel, bias, …). */
  grads: tf.Tensor[];
  /** [sum of per-sample losses, correct predictions] for the batch. */
  stats: tf.Tensor1D;
}

/** Reads the gradients back into one flat array laid out like `Network.values`. */
export function readGradients(grads: tf.Tensor[], into: Float32Array): Float32Array {
  let offset = 0;
  for (const g of grads) {
    into.set(wasmView(g) ?? (g.dataSync() as Float32Array), offset);
    offset += g.size;
  }
  return into;
}

/**
 * Loss and gradients of the MLP by hand-written backpropagation instead of the autodiff tape.
 * On the wasm backend only plain matMul takes the fast XNNPACK path; a matMul with a transpose
 * flag (which the tape's matMul gradient uses) is far slower (docs/performance.md). So every transpose here is
 * explicit, and the input's transpose `xT` is assembled by the caller in JavaScript, where it
 * costs almost nothing, rather than transposed on the device.
 */
export function lossAndGrads(net: Network, x: tf.Tensor2D, xT: tf.Tensor2D, labels: tf.Tensor1D): StepResult {
  return tf.tidy(() => {
    const n = x.shape[0];
    const layers = net.layers();
    const outputs = net.forward(x);
    const logits = outputs.at(-1)!;
    const logProbs = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(labels, net.classes);
    const stats = tf.stack([
      tf.neg(tf.sum(tf.mul(logProbs, oneHot))),
      tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')),
    ]) as tf.Tensor1D;
    // d(mean loss)/d(logits) = (softmax − one-hot) / n
    let delta = tf.div(tf.sub(tf.exp(logProbs), oneHot), n) as tf.Tensor2D;
    const grads: tf.Tensor[] = [];
    for (let i = layers.length - 1; i >= 0; i--) {
      const input = outputs[i]!;
      grads[2 * i] = tf.matMul(i === 0 ? xT : tf.transpose(input), delta);
      grads[2 * i + 1] = tf.sum(delta, 0);
      if (i > 0)
        delta = tf.mul<tf.Tensor2D>(
          tf.matMul(delta, tf.transpose(layers[i]!.kernel)),
          derivative(input, net.activation),
        );
    }
    return { grads, stats };
  });
}

/** The activation's derivative, written in terms of its output `h`. */
function derivative(h: tf.Tensor2D, act: Activation): tf.Tensor2D {
  switch (act) {
    case 'relu':
      return tf.step(h);
    case 'tanh':
      return tf.sub(1, tf.square(h));
    case 'sigmoid':
      return tf.mul(h, tf.sub(1, h));
    case 'elu':
      // h > 0: 1; otherwise h = e^x − 1, so e^x = h + 1.
      return tf.where(tf.greater(h, 0), tf.onesLike(h), tf.add<tf.Tensor2D>(h, 1));
  }
}
