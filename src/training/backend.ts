import * as tf from '@tensorflow/tfjs';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** Why a preferred backend was skipped, for the start-up log. */
  skipped: string[];
}

let chosen: Promise<BackendInfo> | undefined;

/**
 * Picks the TensorFlow.js backend once per process. `@tensorflow/tfjs-node` is optional: its
 * install script downloads libtensorflow, which fails on offline machines, and a half-installed
 * copy throws on import, so every failure falls through to wasm and then to the pure-JS cpu.
 */
export function initBackend(choice: BackendChoice): Promise<BackendInfo> {
  chosen ??= pick(choice);
  return chosen;
}

async function pick(choice: BackendChoice): Promise<BackendInfo> {
  const order: BackendName[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      await activate(name);
      return { name, skipped };
    } catch (err) {
      skipped.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  if (choice !== 'auto') throw new Error(`TRAINING_BACKEND=${choice} is not usable here (${skipped.join('; ')})`);
  throw new Error(`no TensorFlow.js backend could start (${skipped.join('; ')})`);
}

async function activate(name: BackendName): Promise<void> {
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
