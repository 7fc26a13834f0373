import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/training/backend.js';
import { Network } from '../../src/training/network.js';
import { copiesOnUpload, wasmView } from '../../src/training/wasm-memory.js';

describe('reading and writing tensors in the wasm heap', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('views a float32 tensor in place with the values dataSync copies out', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3);
    const t = tf.tidy(() => tf.mul(tf.tensor1d(values), 2));
    expect(tf.getBackend()).toBe('wasm');
    const view = wasmView(t)!;
    expect(view).toBeInstanceOf(Float32Array);
    expect(Array.from(view)).toEqual(Array.from(t.dataSync()));
    expect(wasmView(tf.tensor1d([1, 2], 'int32'))).toBeUndefined();
    t.dispose();
  });

  it("uploads a network's weights as copies: changing its values later leaves them until invalidate", () => {
    expect(copiesOnUpload()).toBe(true);
    const net = new Network([8], 'relu', 3);
    const before = Array.from(net.layers()[0]!.kernel.dataSync());
    net.values.fill(0.5);
    expect(Array.from(net.layers()[0]!.kernel.dataSync())).toEqual(before);
    net.invalidate();
    expect(Array.from(net.layers()[0]!.kernel.dataSync()).slice(0, 3)).toEqual([0.5, 0.5, 0.5]);
    net.dispose();
  });

  it('falls back to copies on the cpu backend', async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
    expect(copiesOnUpload()).toBe(false);
    const t = tf.tensor1d([1.5, 2.5]);
    expect(wasmView(t)).toBeUndefined();
    const net = new Network([4], 'relu', 1);
    const before = Array.from(net.layers()[0]!.kernel.dataSync());
    net.values.fill(0.25);
    expect(Array.from(net.layers()[0]!.kernel.dataSync())).toEqual(before);
    net.dispose();
    t.dispose();
  });
});
