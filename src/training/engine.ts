import type { Split } from '../datasets/types.js';
import type { Network } from './network.js';
import type { Optimizer } from './optimizers.js';
import type { TrainingParams } from './params.js';

/**
 * What computes a training run's steps and evaluations: TensorFlow.js kernels (tfjs-engine.ts)
 * or the OpenBLAS addon (native-engine.ts). Both work on the same flat parameter vector and
 * optimizer state, so a checkpoint of one resumes on the other.
 */
export interface Engine {
  /** One optimizer step on the training rows order[from, from + n). */
  step(from: number, n: number): void;
  /** [sum of per-sample losses, correct predictions] over the steps since the last call. */
  takeTotals(): Promise<[number, number]>;
  /** Mean loss and accuracy over rows of a split; with `keepPredictions`, each row's class. */
  evaluate(split: Split, rows: Uint32Array, keepPredictions?: boolean): Promise<Evaluation>;
  dispose(): void;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  predicted?: Int32Array;
}

export interface EngineSetup {
  net: Network;
  optimizer: Optimizer;
  params: TrainingParams;
  train: Split;
  /** The training rows in this epoch's order (shuffled in place between epochs). */
  order: Uint32Array;
  batch: number;
}

/** Rows evaluated per forward pass. */
export const EVAL_CHUNK = 2048;
