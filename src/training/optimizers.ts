import type { TrainingParams } from './params.js';

/**
 * The optimizers of TF.js (same formulas and defaults as tf.train.adam/sgd/rmsprop) applied to
 * one flat parameter vector in plain JavaScript. One pass over ~100k floats costs a fraction
 * of the dozens of wasm kernel launches the tfjs optimizers need per step, and the state is a
 * few Float32Arrays that a checkpoint can store as they are.
 */
export interface Optimizer {
  /** Updates `params` in place from `grads` (same layout). */
  step(params: Float32Array, grads: Float32Array): void;
  /** Moment buffers and step count, for checkpoints. */
  readonly state: OptimizerState;
}

export interface OptimizerState {
  step: number;
  buffers: Float32Array[];
}

/** Puts a checkpointed state back (same optimizer, same parameter count). */
export function restoreOptimizer(optimizer: Optimizer, saved: OptimizerState): void {
  if (saved.buffers.length !== optimizer.state.buffers.length) throw new Error('checkpoint is of another optimizer');
  saved.buffers.forEach((b, i) => optimizer.state.buffers[i]!.set(b));
  optimizer.state.step = saved.step;
}

/** tf.train.adam's defaults. */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
/** tf.train.rmsprop's defaults (momentum 0, not centred). */
export const RMSPROP_DEFAULTS = { decay: 0.9, epsilon: 1e-7 };

export function createOptimizer(params: Pick<TrainingParams, 'optimizer' | 'learningRate'>, size: number): Optimizer {
  const lr = params.learningRate;
  switch (params.optimizer) {
    case 'sgd':
      return sgd(lr);
    case 'rmsprop':
      return rmsprop(lr, size);
    case 'adam':
      return adam(lr, size);
  }
}

function sgd(lr: number): Optimizer {
  const state: OptimizerState = { step: 0, buffers: [] };
  return {
    state,
    step(p, g) {
      state.step++;
      for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * g[i]!;
    },
  };
}

function adam(lr: number, size: number): Optimizer {
  const { beta1, beta2, epsilon } = ADAM_DEFAULTS;
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  const state = { step: 0, buffers: [m, v] };
  return {
    state,
    step(p, g) {
      const t = ++state.step;
      const c1 = 1 - beta1 ** t;
      const sqrtC2 = Math.sqrt(1 - beta2 ** t);
      // lr·(m/c1)/(√(v/c2)+ε) rewritten as rate·m/(√v+ε̂): one division and one root per element.
      const rate = (lr * sqrtC2) / c1;
      const epsHat = epsilon * sqrtC2;
      const a1 = 1 - beta1;
      const a2 = 1 - beta2;
      const n = p.length;
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        // Moments of weights whose gradient stays 0 (dead units) decay geometrically into float32
        // subnormals, and every load of a subnormal costs the CPU a microcode assist: a step
        // then takes twice as long. Flushing them to zero changes nothing measurable. (Written
        // inline, with one test for v, which is never negative: half the time of a helper.)
        let mi = beta1 * m[i]! + a1 * gi;
        if (Math.abs(mi) < TINY) mi = 0;
        let vi = beta2 * v[i]! + a2 * gi * gi;
        if (vi < TINY) vi = 0;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i]! - (rate * mi) / (Math.sqrt(vi) + epsHat);
      }
    },
  };
}

/** Below this a float32 is subnormal (the smallest normal one is about 1.18e-38). */
const TINY = 1e-37;

function rmsprop(lr: number, size: number): Optimizer {
  const { decay, epsilon } = RMSPROP_DEFAULTS;
  const ms = new Float32Array(size);
  const state = { step: 0, buffers: [ms] };
  return {
    state,
    step(p, g) {
      state.step++;
      const n = p.length;
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        let mi = decay * ms[i]! + (1 - decay) * gi * gi;
        if (mi < TINY) mi = 0;
        ms[i] = mi;
        p[i] = p[i]! - (lr * gi) / Math.sqrt(mi + epsilon);
      }
    },
  };
}
