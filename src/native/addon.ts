import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

/** What native/src/addon.cc exports. */
export interface NativeAddon {
  Mlp: new (
    sizes: number[],
    activation: number,
    params: Float32Array,
    /** null: an MLP that only infers (training methods then throw). */
    grads: Float32Array | null,
    optimizer: NativeOptimizerConfig,
    buffers: Float32Array[],
  ) => NativeMlp;
  /** cblas_sgemm, row-major: C = alpha·op(A)·op(B) + beta·C. */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  update(
    optimizer: NativeOptimizerConfig,
    t: number,
    params: Float32Array,
    grads: Float32Array,
    buffers: Float32Array[],
  ): void;
  setThreads(n: number): void;
  threads(): number;
  /** OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64". */
  blasConfig(): string;
}

export interface NativeOptimizerConfig {
  /** 0 sgd, 1 adam, 2 rmsprop */
  kind: number;
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  decay: number;
}

export interface NativeMlp {
  /** Gradients of the batch's mean loss into the grads array; adds [loss sum, correct] to stats. */
  lossAndGrads(x: Float32Array, labels: Int32Array, n: number, stats: Float64Array): void;
  /** A whole step on rows order[from, from+n) of a uint8 image set: gradients, then the update. */
  trainStep(
    images: Uint8Array,
    labels: Uint8Array,
    order: Uint32Array,
    from: number,
    n: number,
    t: number,
    stats: Float64Array,
  ): void;
  /** A forward pass over rows[from, from+n): adds [loss sum, correct] to stats, classes to predicted[from…]. */
  evaluate(
    images: Uint8Array,
    labels: Uint8Array,
    rows: Uint32Array,
    from: number,
    n: number,
    stats: Float64Array,
    predicted: Int32Array | null,
  ): void;
  /** Softmax probabilities of rows x [n, width] (already normalised) into out [n, classes]. */
  infer(x: Float32Array, n: number, out: Float32Array): void;
  /** Frees the addon's scratch memory at once; the object is unusable after. */
  dispose(): void;
}

/** Where `npm run build` puts the addon (the same path from src/ and dist/, both two levels down). */
export const ADDON_PATH = resolve(
  import.meta.dirname,
  '..',
  '..',
  'native',
  'build',
  'Release',
  'trainyard_native.node',
);

let loaded: { addon?: NativeAddon; error?: Error } | undefined;

/**
 * Loads the OpenBLAS addon once per process, or throws why it cannot (not built: no compiler or
 * libopenblas-dev at build time; or libopenblas0 missing at run time).
 */
export function loadNative(): NativeAddon {
  loaded ??= tryLoad();
  if (loaded.error) throw loaded.error;
  return loaded.addon!;
}

function tryLoad(): { addon?: NativeAddon; error?: Error } {
  if (!existsSync(ADDON_PATH)) {
    return { error: new Error('addon not built (npm run build needs a C++ compiler and libopenblas-dev)') };
  }
  // OpenBLAS starts its thread pool when it loads: one thread per process (see addon.cc), so
  // none is started only to idle.
  process.env.OPENBLAS_NUM_THREADS = '1';
  try {
    return { addon: createRequire(import.meta.url)(ADDON_PATH) as NativeAddon };
  } catch (err) {
    return { error: new Error(`addon does not load: ${(err as Error).message.split('\n')[0]}`) };
  }
}

/** The addon, or undefined when it is not built or does not load here. */
export function nativeAddon(): NativeAddon | undefined {
  return nativeUnavailable() === undefined ? loadNative() : undefined;
}

/** Whether the addon loads here, for tests that skip without it: undefined, or why not. */
export function nativeUnavailable(): string | undefined {
  try {
    loadNative();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The hidden activations the addon computes, by their code (native/src/mlp.h). */
export const NATIVE_ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'elu'] as const;
