import * as tf from '@tensorflow/tfjs';
import { loadNative } from '../native/addon.js';
import {
  TFJS_BACKENDS,
  type BackendChoice,
  type BackendName,
  type TfjsBackendName,
} from '../schemas/training-backends.js';

export type { BackendChoice, BackendName, TfjsBackendName };

export interface BackendInfo {
  /** What trains: the OpenBLAS addon, or a TensorFlow.js backend. */
  name: BackendName;
  /** The TensorFlow.js backend of this process (inference, and building the stored model). */
  tfjs: TfjsBackendName;
  /** Why a preferred backend was skipped, for the start-up log. */
  skipped: string[];
}

let chosen: Promise<BackendInfo> | undefined;
let resolved: BackendInfo | undefined;

/**
 * Picks the training backend once per process. The native addon and `@tensorflow/tfjs-node` are
 * both optional (one needs a compiler and OpenBLAS at build time, the other downloads
 * libtensorflow at install), so every failure falls through to wasm and then to the pure-JS cpu.
 */
export function initBackend(choice: BackendChoice): Promise<BackendInfo> {
  chosen ??= pick(choice).then((info) => (resolved = info));
  return chosen;
}

/** The backend `initBackend` chose, once it has (the trainer's default). */
export const currentBackend = (): BackendName | undefined => resolved?.name;

async function pick(choice: BackendChoice): Promise<BackendInfo> {
  const skipped: string[] = [];
  const wantNative = choice === 'auto' || choice === 'native';
  let native = false;
  if (wantNative) {
    try {
      loadNative();
      native = true;
    } catch (err) {
      skipped.push(`native: ${(err as Error).message}`);
      if (choice === 'native') throw new Error(`TRAINING_BACKEND=native is not usable here (${skipped[0]})`);
    }
  }
  const order = wantNative ? TFJS_BACKENDS : [choice as TfjsBackendName];
  // Beside the addon the tfjs backend only serves predictions: the reasons it fell back are noise.
  const tfjsSkipped: string[] = [];
  for (const name of order) {
    try {
      await activate(name);
      if (!native) skipped.push(...tfjsSkipped);
      return { name: native ? 'native' : name, tfjs: name, skipped };
    } catch (err) {
      tfjsSkipped.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  skipped.push(...tfjsSkipped);
  if (choice !== 'auto' && choice !== 'native') {
    throw new Error(`TRAINING_BACKEND=${choice} is not usable here (${skipped.join('; ')})`);
  }
  throw new Error(`no TensorFlow.js backend could start (${skipped.join('; ')})`);
}

async function activate(name: TfjsBackendName): Promise<void> {
  if (name === 'tensorflow') {
    // A variable specifier keeps bundlers and tsc from requiring the optional package.
    const pkg = '@tensorflow/tfjs-node';
    await import(pkg);
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not initialise`);
  await tf.ready();
}
