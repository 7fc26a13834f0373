import * as tf from '@tensorflow/tfjs';

/** Activations the fused matMul kernel applies itself; the others run as one op after it. */
const FUSED = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid']);
const AFTER: Record<string, (x: tf.Tensor) => tf.Tensor> = { tanh: tf.tanh, softmax: (x) => tf.softmax(x) };

type Forward = (x: tf.Tensor2D) => tf.Tensor;

/**
 * A model that is a plain stack of Dense layers (every model this service trains), as one fused
 * matMul kernel per layer over the model's own weight tensors. The Layers API's predict() adds
 * about as much bookkeeping per call as the kernels cost on a small batch (name scopes, input
 * checks, batch slicing); the kernels and the numbers are the same. Undefined for any other
 * model, which then runs through predict().
 */
export function denseStack(model: tf.LayersModel): Forward | undefined {
  const steps: { kernel: tf.Tensor2D; bias?: tf.Tensor1D; activation: string }[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer.getClassName() !== 'Dense') return undefined;
    const config = layer.getConfig();
    const activation = String(config.activation ?? 'linear');
    if (!FUSED.has(activation) && !AFTER[activation]) return undefined;
    const [kernel, bias] = layer.getWeights(); // the variables' own tensors, not copies
    if (kernel?.rank !== 2 || (config.useBias !== false && bias?.rank !== 1)) return undefined;
    steps.push({ kernel: kernel as tf.Tensor2D, bias: bias as tf.Tensor1D | undefined, activation });
  }
  if (steps.length === 0) return undefined;
  return (x) => {
    let h: tf.Tensor = x;
    for (const { kernel, bias, activation } of steps) {
      const fused = FUSED.has(activation) ? (activation as tf.fused.Activation) : 'linear';
      h = tf.fused.matMul({ a: h as tf.Tensor2D, b: kernel, bias, activation: fused });
      const after = AFTER[activation];
      if (after) h = after(h);
    }
    return h;
  };
}
