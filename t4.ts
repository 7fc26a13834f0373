import * as tf from '@tensorflow/tfjs';
import { initBackend } from './src/training/backend.ts';
import { Network } from './src/training/network.ts';
import { lossAndGrads, readGradients } from './src/training/backprop.ts';
import { createOptimizer } from './src/training/optimizers.ts';
await initBackend('wasm');
const net = new Network([128, 64], 'relu', 1);
const opt = createOptimizer({optimizer:'adam', learningRate:0.001}, net.values.length);
const gb = new Float32Array(net.values.length);
const x = tf.randomNormal([64, 784]) as tf.Tensor2D; const xT = tf.transpose(x) as tf.Tensor2D;
const y = tf.tensor1d(new Int32Array(64).map((_, i) => i % 10), 'int32');
function time(name: string, f: () => void, n = 300) {
  for (let i = 0; i < 20; i++) f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  const ms = (performance.now() - t) / n;
  console.log(name, ms.toFixed(3), 'ms/step', Math.round(64 / ms * 1000), 'samples/s');
}
time('grads', () => { const r = lossAndGrads(net, x, xT, y); tf.dispose([r.stats, ...r.grads]); });
time('grads+read+adam+upload', () => { const r = lossAndGrads(net, x, xT, y); opt.step(net.values, readGradients(r.grads, gb)); net.invalidate(); tf.dispose([r.stats, ...r.grads]); });
time('adam only', () => { opt.step(net.values, gb); });
console.log(tf.memory().numTensors);
