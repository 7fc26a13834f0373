/**
 * Whether a job alone would train faster with two OpenBLAS threads: the bare native step (no
 * service) on 60,000 random images of the reference recipe, with 1 and then 2 threads. Run in
 * a process of its own, since the thread count is per process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { loadNative } from '../src/native/addon.js';
import { Network } from '../src/training/network.js';
import { createOptimizer } from '../src/training/optimizers.js';
import { nativeOptimizer } from '../src/training/native-engine.js';
import { createRng, range, shuffle } from '../src/rng.js';
import { fmt, type Report } from './lib.js';

export function stepSamplesPerSecond(): Record<number, number> | undefined {
  const out = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child'], { encoding: 'utf8' });
  const m = /threads1=(\d+) threads2=(\d+)/.exec(out.stdout);
  return m ? { 1: Number(m[1]), 2: Number(m[2]) } : undefined;
}

/** The bare step on one thread in `n` processes at once: each process's samples/s. */
async function concurrentSteps(n: number): Promise<number[]> {
  const one = () =>
    new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--one'], { stdio: 'pipe' });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', () => resolve(Number(/threads1=(\d+)/.exec(out)?.[1] ?? NaN)));
    });
  return Promise.all(Array.from({ length: n }, one));
}

/**
 * One job alone on two BLAS threads instead of one? (The service pins one per trainer.) And how
 * the machine itself scales two bare steps in two processes: the ceiling of "two jobs at once".
 */
export async function benchThreads(row: Report): Promise<void> {
  const threads = stepSamplesPerSecond();
  if (!threads) return;
  row(
    'native step outside the service, 1 → 2 OpenBLAS threads (samples/s)',
    `${fmt(threads[1]!)} → ${fmt(threads[2]!)}`,
    `${fmt(threads[2]! / threads[1]!, 2)}× on two threads, this once (it swings both ways between runs); the service pins one per job`,
  );
  const [alone] = await concurrentSteps(1);
  const pair = await concurrentSteps(2);
  const sum = pair.reduce((a, b) => a + b, 0);
  row(
    'native step outside the service, two processes at once (samples/s, sum)',
    fmt(sum),
    `${fmt(sum / alone!, 2)}× one process alone (${fmt(alone!)}): what this machine's two cores give two jobs without the service`,
  );
}

function measure(threads: number): number {
  const addon = loadNative();
  addon.setThreads(threads);
  const count = 60_000;
  const rng = createRng(1);
  const images = Uint8Array.from({ length: count * 784 }, () => Math.floor(rng() * 256));
  const labels = Uint8Array.from({ length: count }, () => Math.floor(rng() * 10));
  const net = new Network([128, 64], 'relu', 1);
  const params = { optimizer: 'adam', learningRate: 0.001 } as const;
  const optimizer = createOptimizer(params, net.values.length);
  const grads = new Float32Array(net.values.length);
  const mlp = new addon.Mlp([784, 128, 64, 10], 0, net.values, grads, nativeOptimizer(params), optimizer.state.buffers);
  const order = shuffle(range(count), rng);
  const stats = new Float64Array(2);
  let best = 0;
  // Best of three epochs: the first also warms caches and the allocator.
  for (let epoch = 0; epoch < 3; epoch++) {
    const started = performance.now();
    for (let from = 0; from < count; from += 64) {
      mlp.trainStep(images, labels, order, from, Math.min(64, count - from), ++optimizer.state.step, stats);
    }
    best = Math.max(best, count / ((performance.now() - started) / 1000));
  }
  return Math.round(best);
}

if (process.argv.includes('--one')) console.log(`threads1=${measure(1)}`);
if (process.argv.includes('--child')) {
  const one = measure(1);
  const two = measure(2);
  console.log(`threads1=${one} threads2=${two}`);
}
