import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { initBackend } from '../../src/training/backend.js';
import { letterbox } from '../../src/inference/letterbox.js';
import { testConfig } from '../helpers/app.js';
import { makeBandsIdx } from '../helpers/idx.js';
import { encodePng } from '../helpers/png.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

const NAMES = ['low', 'middle', 'high'];

/**
 * A dataset of three named classes through the real API and worker processes: uploaded as IDX
 * with a `labels` field, trained (the output layer sized to three), predicted by label name,
 * and its preprocessing rule carried by the model to predict.
 */
describe('three named classes end to end', () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;
  const train = makeBandsIdx(3, 300, 1);
  const test = makeBandsIdx(3, 60, 2);

  beforeAll(async () => {
    config = await testConfig({ PORT: '0' });
    const port = 30000 + Math.floor(Math.random() * 20000);
    config = { ...config, PORT: port };
    base = `http://127.0.0.1:${port}`;
    [api, worker] = await Promise.all([startApi(config), startWorker(config)]);
    await initBackend('wasm');
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  async function upload(fields: Record<string, string>) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const files = {
      trainImages: train.images,
      trainLabels: train.labels,
      testImages: test.images,
      testLabels: test.labels,
    };
    for (const [field, buf] of Object.entries(files))
      form.append(field, new Blob([new Uint8Array(buf)]), `${field}.idx`);
    const res = await fetch(`${base}/v1/datasets`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; classes: number; labels: string[]; preprocess: string };
  }

  async function trainOn(dataset: string, model: string): Promise<TrainingJob> {
    const res = await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset, model, epochs: 4, hiddenLayers: [32], learningRate: 0.005, seed: 3 }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as TrainingJob;
    const done = await waitFor(async () => {
      const job = (await (await fetch(`${base}/v1/training-jobs/${id}`)).json()) as TrainingJob;
      return job.state === 'completed' || job.state === 'failed' ? job : undefined;
    }, 120_000);
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    return done;
  }

  const imageOf = (k: number) => test.images.subarray(16 + k * 784, 16 + (k + 1) * 784);

  it('trains a three-class IDX dataset and predicts by label name', async () => {
    const dataset = await upload({ name: 'bands', labels: NAMES.join(',') });
    expect(dataset).toMatchObject({ classes: 3, labels: NAMES, preprocess: 'mnist' });

    const job = await trainOn(dataset.id, 'bands');
    const metrics = job.metrics!;
    expect(metrics.testAccuracy).toBeGreaterThan(0.9);
    expect(metrics.confusionMatrix).toHaveLength(3);
    expect(metrics.confusionMatrix!.every((row) => row.length === 3)).toBe(true);
    expect(metrics.confusionMatrix!.map((row) => row.reduce((s, v) => s + v, 0))).toEqual([20, 20, 20]);
    expect(metrics.perClass!.map((c) => c.label)).toEqual(NAMES);

    const model = (await (await fetch(`${base}/v1/models/${job.modelId}`)).json()) as Record<string, unknown>;
    expect(model).toMatchObject({ labels: NAMES, preprocess: 'mnist' });
    const layers = await tf.loadLayersModel(`${base}/v1/models/${job.modelId}/model.json`);
    expect(layers.outputs[0]!.shape).toEqual([null, 3]);
    layers.dispose();

    // Test images 0, 1, 2 are of classes 0, 1, 2: as JSON pixels and as PNG files, by the model's name.
    const form = new FormData();
    for (const k of [0, 1, 2]) {
      const png = encodePng({ width: 28, height: 28, data: imageOf(k), channels: 1 });
      form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), `${k}.png`);
    }
    const res = await fetch(`${base}/v1/models/bands/predict`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      model: { name: string };
      predictions: { label: string; probabilities: number[] }[];
    };
    expect(body.model.name).toBe('bands');
    expect(body.predictions.map((p) => p.label)).toEqual(NAMES);
    expect(body.predictions.every((p) => p.probabilities.length === 3)).toBe(true);
    const json = await fetch(`${base}/v1/models/bands/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pixels: Array.from(imageOf(2)) }),
    });
    expect(((await json.json()) as { predictions: { label: string }[] }).predictions[0]!.label).toBe('high');
  });

  it('gives a model trained on a fit dataset the fit rule at predict', async () => {
    const dataset = await upload({ name: 'bands fit', labels: JSON.stringify(NAMES), preprocess: 'fit' });
    expect(dataset.preprocess).toBe('fit');
    const job = await trainOn(dataset.id, 'bands-fit');
    const model = (await (await fetch(`${base}/v1/models/${job.modelId}`)).json()) as Record<string, unknown>;
    expect(model).toMatchObject({ labels: NAMES, preprocess: 'fit' });

    // A 56×56 upscale of a test image of class 1: letterboxed back to 28×28, not cropped and centred.
    const gray = new Uint8Array(56 * 56);
    const small = imageOf(1);
    for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) gray[y * 56 + x] = small[(y >> 1) * 28 + (x >> 1)]!;
    const png = encodePng({ width: 56, height: 56, data: gray, channels: 1 });
    const res = await fetch(`${base}/v1/models/bands-fit/predict?debug=1`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(png),
    });
    expect(res.status).toBe(200);
    const [p] = ((await res.json()) as { predictions: { label: string; input: number[] }[] }).predictions;
    expect(p!.input).toEqual(Array.from(letterbox(gray, 56, 56)));
    expect(p!.label).toBe('middle');
  });
});
