/**
 * A real, small trained model for API tests: trained in-process on synthetic 28×28 images
 * that a tiny MLP learns in a few epochs, then saved through the app's own model store.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AppDeps } from '../../src/app.js';
import type { ModelMetadata } from '../../src/models/store.js';
import { initBackend } from '../../src/training/backend.js';
import type { LoadedDataset, Split } from '../../src/datasets/types.js';
import { DEFAULT_PARAMS, type TrainingParams } from '../../src/training/params.js';
import { train } from '../../src/training/trainer.js';
import { createRng } from '../../src/rng.js';
import { encodePng } from './png.js';
import { datasetDigest } from '../../src/datasets/digest.js';
import { SERVICE_VERSION } from '../../src/version.js';
import { DEFAULT_TENANT } from '../../src/schemas/tenant.js';

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** The block class k lights up: two rows of five 4×9 blocks, well inside a dark border. */
export function classBlock(k: number): { x0: number; y0: number; x1: number; y1: number } {
  const col = k % 5;
  const row = Math.floor(k / 5);
  const x0 = 2 + col * 5;
  const y0 = 3 + row * 12;
  return { x0, y0, x1: x0 + 4, y1: y0 + 9 };
}

/**
 * Image `variant` of class `k` (0–9): dark noise (0–39) everywhere, the class's block bright
 * (180–255). The border stays dark, so the service feeds a 28×28 PNG of it to the model as is.
 */
export function syntheticImage(k: number, variant = 0): Uint8Array {
  if (!Number.isInteger(k) || k < 0 || k > 9) throw new RangeError(`class ${k} is not 0–9`);
  const next = createRng(k * 100_003 + variant * 7919 + 1);
  const out = new Uint8Array(PIXELS);
  for (let p = 0; p < PIXELS; p++) out[p] = Math.floor(next() * 40);
  const { x0, y0, x1, y1 } = classBlock(k);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out[y * SIDE + x] = 180 + Math.floor(next() * 76);
  return out;
}

/** The synthetic image as an 8-bit grayscale PNG. */
export function syntheticPng(k: number, variant = 0): Buffer {
  return encodePng({ width: SIDE, height: SIDE, data: syntheticImage(k, variant), channels: 1 });
}

/** `count` images with labels i mod `classes` (up to 10); `offset` keeps train and test variants apart. */
export function syntheticSplit(count: number, offset = 0, classes = 10): Split {
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % classes;
    images.set(syntheticImage(i % classes, offset + Math.floor(i / classes)), i * PIXELS);
  }
  return { count, images, labels };
}

export function syntheticDataset(
  trainCount = 500,
  testCount = 100,
  labels: readonly string[] = DIGITS,
  preprocess: LoadedDataset['preprocess'] = 'mnist',
): LoadedDataset {
  // Variants from 1,000,000 on are never used for training, so test images are unseen.
  return {
    id: 'synthetic',
    train: syntheticSplit(trainCount, 0, labels.length),
    test: syntheticSplit(testCount, 1_000_000, labels.length),
    labels,
    preprocess,
  };
}

export interface StoreTrainedModelOptions {
  id?: string;
  name?: string;
  jobId?: string;
  dataset?: string;
  createdAt?: string;
  params?: Partial<TrainingParams>;
  trainCount?: number;
  testCount?: number;
  /** With a registry among the deps: the registered name it becomes the next version of (default "synthetic"). */
  registerAs?: string;
  /** The tenant it is registered in (default: the default tenant); `deps.models` must be that tenant's. */
  tenant?: string;
  /** Class names (2–10; default the ten digits): class k is trained on the synthetic images of k. */
  labels?: string[];
  /** The rule it carries (default mnist). */
  preprocess?: LoadedDataset['preprocess'];
}

/**
 * Trains a small MLP on the synthetic dataset and stores it through `deps.models`; when `deps`
 * has a registry, registers it as the next version of `opts.registerAs`, as a completed job does.
 */
export async function storeTrainedModel(
  deps: Pick<AppDeps, 'models'> & Partial<Pick<AppDeps, 'registry'>>,
  opts: StoreTrainedModelOptions = {},
): Promise<ModelMetadata> {
  const backend = await initBackend('wasm');
  const params: TrainingParams = {
    ...DEFAULT_PARAMS,
    epochs: 3,
    batchSize: 32,
    learningRate: 0.01,
    hiddenLayers: [32],
    seed: 7,
    ...opts.params,
  };
  const dataset = syntheticDataset(opts.trainCount, opts.testCount, opts.labels, opts.preprocess);
  const outcome = await train(dataset, params);
  let saved: ModelMetadata;
  try {
    saved = await deps.models.save(
      {
        id: opts.id ?? randomUUID(),
        name: opts.name ?? 'synthetic blocks mlp-32',
        createdAt: opts.createdAt ?? new Date().toISOString(),
        jobId: opts.jobId ?? `job-${randomBytes(6).toString('hex')}`,
        dataset: opts.dataset ?? 'synthetic',
        params,
        metrics: outcome.metrics,
        backend: backend.name,
        inputShape: [28, 28],
        labels: [...dataset.labels],
        preprocess: dataset.preprocess,
      },
      outcome.model,
    );
  } finally {
    outcome.model.dispose();
  }
  if (!deps.registry) return saved;
  await deps.registry.register(opts.tenant ?? DEFAULT_TENANT, opts.registerAs ?? 'synthetic', {
    id: saved.id,
    createdAt: saved.createdAt,
    metrics: saved.metrics,
    lineage: {
      jobId: saved.jobId,
      params,
      seed: params.seed,
      dataset: saved.dataset,
      datasetDigest: datasetDigest(dataset),
      backend: saved.backend,
      serviceVersion: SERVICE_VERSION,
      createdBy: 'test',
    },
  });
  return saved;
}
