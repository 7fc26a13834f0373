import { initBackend } from '/work/main/dist/training/backend.js';
import * as tf from '@tensorflow/tfjs';
await initBackend('wasm');
const a = tf.randomNormal([64, 784]), b = tf.randomNormal([784, 128]);
const run = (n) => { for (let i = 0; i < n; i++) { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); } };
run(500);
const t = performance.now(); let n = 0;
while (performance.now() - t < 8000) { run(100); n += 100; }
console.log('matmul/s', Math.round(n / ((performance.now() - t) / 1000)));
// scalar JS part: Adam-like loop over 110k floats
const v = new Float32Array(110000), g = new Float32Array(110000).fill(0.1), m = new Float32Array(110000), s = new Float32Array(110000);
const t2 = performance.now(); let k = 0;
while (performance.now() - t2 < 5000) { for (let i = 0; i < v.length; i++) { m[i] = 0.9*m[i] + 0.1*g[i]; s[i] = 0.999*s[i] + 0.001*g[i]*g[i]; v[i] -= 0.001*m[i]/(Math.sqrt(s[i])+1e-7); } k++; }
console.log('adam/s', Math.round(k / ((performance.now() - t2) / 1000)));
