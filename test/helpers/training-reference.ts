import * as tf from '@tensorflow/tfjs';
import type { Network } from '../../src/training/network.js';

/** The reference: TF.js autodiff of the same forward pass and loss, as one flat gradient vector. */
export function autodiffGradients(
  net: Network,
  x: tf.Tensor2D,
  labels: tf.Tensor1D,
): { grads: Float32Array; loss: number } {
  const params = tf.variable(tf.tensor1d(net.values));
  const { value, grads } = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      let h: tf.Tensor2D = x;
      let offset = 0;
      net.shapes.forEach(([fanIn, units], i) => {
        const kernel = tf.reshape(tf.slice(params, offset, fanIn * units), [fanIn, units]) as tf.Tensor2D;
        const bias = tf.slice(params, offset + fanIn * units, units);
        offset += fanIn * units + units;
        const z = tf.add(tf.matMul(h, kernel), bias) as tf.Tensor2D;
        const last = i === net.shapes.length - 1;
        h = last ? z : (tf.layers.activation({ activation: net.activation }).apply(z) as tf.Tensor2D);
      });
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 10), h) as tf.Scalar;
    }, [params]);
    return { value, grads: grads[params.name]! };
  });
  const out = { grads: grads.dataSync() as Float32Array, loss: value.dataSync()[0]! };
  tf.dispose([grads, value, params]);
  return out;
}

/** Largest difference between two vectors, relative to the largest magnitude of `reference`. */
export function maxRelativeDiff(mine: ArrayLike<number>, reference: ArrayLike<number>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(mine[i]! - reference[i]!));
    maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  }
  if (maxRef === 0) throw new Error('the reference is all zeros');
  return maxDiff / maxRef;
}
