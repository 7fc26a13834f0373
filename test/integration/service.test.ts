import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { initBackend } from '../../src/training/backend.js';
import { mnistSampleDataset } from '../../src/datasets/mnist-sample.js';
import { testConfig } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

/**
 * The whole service as it runs: the compiled API and worker as separate processes, real
 * Redis, real files, real HTTP.
 */
describe('service end to end', () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;

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

  const getJob = async (id: string) => (await (await fetch(`${base}/v1/training-jobs/${id}`)).json()) as TrainingJob;

  it('trains a 2-epoch job, shows each epoch while it runs, stores and serves the model', async () => {
    const res = await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ epochs: 2, seed: 7 }),
    });
    expect(res.status).toBe(202);
    const job = (await res.json()) as TrainingJob;
    expect(res.headers.get('location')).toBe(`/v1/training-jobs/${job.id}`);
    expect(job.state).toBe('queued');

    // Poll as a client would, remembering every distinct progress seen while running.
    const seenWhileRunning = new Set<number>();
    const done = await waitFor(
      async () => {
        const current = await getJob(job.id);
        if (current.state === 'running') {
          expect(current.progress.history).toHaveLength(current.progress.epoch);
          seenWhileRunning.add(current.progress.epoch);
        }
        return current.state === 'completed' || current.state === 'failed' ? current : undefined;
      },
      120_000,
      50,
    );
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    expect(seenWhileRunning.has(1)).toBe(true); // epoch 1 was visible before the job ended
    expect(done.progress.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(done.progress.history[1]!.loss).toBeLessThan(done.progress.history[0]!.loss);
    expect(done.metrics!.testAccuracy).toBeGreaterThan(0.8);
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    expect(worker.output()).toContain(`"jobId":"${job.id}"`);

    const models = (await (await fetch(`${base}/v1/models`)).json()) as { items: { id: string; jobId: string }[] };
    expect(models.items.map((m) => m.jobId)).toContain(job.id);
    const modelId = done.modelId!;

    // Loadable by TF.js from its URL, as a browser would.
    const model = await tf.loadLayersModel(`${base}/v1/models/${modelId}/model.json`);
    expect(model.outputs[0]!.shape).toEqual([null, 10]);

    // 200 held-out test digits, sent as PNG files in multipart batches.
    const test = (await mnistSampleDataset().load()).test;
    let correct = 0;
    const N = 200;
    for (let from = 0; from < N; from += 50) {
      const form = new FormData();
      const labels: number[] = [];
      for (let i = from; i < from + 50; i++) {
        const pixels = Buffer.from(test.images.subarray(i * 784, (i + 1) * 784));
        const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
          .png()
          .toBuffer();
        form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), `${i}.png`);
        labels.push(test.labels[i]!);
      }
      const answer = await fetch(`${base}/v1/models/${modelId}/predict`, { method: 'POST', body: form });
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as { predictions: { class: number }[] };
      expect(body.predictions).toHaveLength(50);
      body.predictions.forEach((p, k) => (correct += p.class === labels[k] ? 1 : 0));
    }
    expect(correct / N).toBeGreaterThanOrEqual(0.85);
    model.dispose();
  });

  it('trains on an uploaded IDX dataset', async () => {
    const files = makeIdxFiles(300, 60);
    const form = new FormData();
    form.append('name', 'tiny');
    for (const [field, buf] of Object.entries(files))
      form.append(field, new Blob([new Uint8Array(buf)]), `${field}.idx`);
    const upload = await fetch(`${base}/v1/datasets`, { method: 'POST', body: form });
    expect(upload.status).toBe(201);
    const dataset = (await upload.json()) as { id: string; trainSize: number };
    expect(dataset.trainSize).toBe(300);

    const res = await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: dataset.id, epochs: 1, batchSize: 32, validationSplit: 0.2 }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as TrainingJob;
    const done = await waitFor(async () => {
      const j = await getJob(id);
      return j.state === 'completed' || j.state === 'failed' ? j : undefined;
    });
    expect(done.state).toBe('completed');
    expect(done.dataset).toBe(dataset.id);
    expect(done.progress.history).toHaveLength(1);
    expect(done.progress.history[0]!.valLoss).toBeTypeOf('number');
    expect(done.progress.valAccuracy).toBeTypeOf('number');
  });

  it('answers readiness with the backend and fails a job on an unknown dataset with 404', async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', redis: 'ok', storage: 'ok', backend: 'wasm' });
    const res = await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'nope' }),
    });
    expect(res.status).toBe(404);
  });
});

describe('start-up without Redis', () => {
  it('exits with one line that names the URL and how to start Redis', async () => {
    const config = await testConfig({ REDIS_URL: 'redis://127.0.0.1:1' });
    const error = await startApi(config).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(error).toMatch(/exited with 1/);
    expect(error).toContain('Redis is not reachable at redis://127.0.0.1:1');
    expect(error).toContain('redis-server');
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });
});
