import * as tf from '@tensorflow/tfjs';
import type { Split } from '../../src/datasets/types.js';
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
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, net.classes), h) as tf.Scalar;
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

/**
 * Accuracy of `model` on `split`, computed here with the recipe's normalisation written out,
 * so that a trained model can be checked against the test metric the trainer reported.
 */
export function modelAccuracy(model: tf.LayersModel, split: Split): number {
  const x = tf.tensor2d(
    Float32Array.from(split.images, (v) => (v / 255 - 0.5) / 0.5),
    [split.count, 784],
  );
  const predicted = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(1).dataSync());
  x.dispose();
  return predicted.filter((c, i) => c === split.labels[i]).length / split.count;
}
