import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { syntheticPng } from '../helpers/model.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';
import { S3_BUCKET, S3_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3-server.js';

/**
 * Two API replicas and a worker as separate processes, each with a DATA_DIR of its own (no
 * shared disk), sharing only Redis and an S3 bucket.
 */
describe('scaled out on S3 storage', () => {
  let s3: TestS3;
  const configs: Config[] = [];
  const processes: RunningProcess[] = [];
  let a: string;
  let b: string;

  beforeAll(async () => {
    s3 = await startS3();
    const shared = {
      STORAGE_URL: `s3://${S3_BUCKET}/scale-out`,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: 'us-east-1',
    };
    const first = await testConfig(shared);
    for (let i = 0; i < 3; i++) {
      const own = i === 0 ? first : await testConfig(shared);
      configs.push({ ...own, QUEUE_PREFIX: first.QUEUE_PREFIX, PORT: 30000 + Math.floor(Math.random() * 20000) });
    }
    const credentials = {
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    };
    processes.push(
      ...(await Promise.all([
        startApi(configs[0]!, credentials),
        startApi(configs[1]!, credentials),
        startWorker(configs[2]!, credentials),
      ])),
    );
    a = `http://127.0.0.1:${configs[0]!.PORT}`;
    b = `http://127.0.0.1:${configs[1]!.PORT}`;
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all(configs.map((c) => rm(c.DATA_DIR, { recursive: true, force: true })));
    await s3?.close();
  });

  it(
    'uploads on one replica, trains on a worker elsewhere, serves and deletes the model on both',
    { timeout: 200_000 },
    async () => {
      const form = new FormData();
      form.append('name', 'shared');
      for (const [field, buf] of Object.entries(makeIdxFiles(200, 40))) {
        form.append(field, new Blob([new Uint8Array(buf)]), `${field}.idx`);
      }
      const upload = await fetch(`${a}/v1/datasets`, { method: 'POST', body: form });
      expect(upload.status).toBe(201);
      const dataset = (await upload.json()) as { id: string };

      // Queued through the other replica, which checks the dataset in the bucket. Retried on a 503
      // as a client would (a busy machine can stall Redis answers): the key makes that safe.
      const queued = await waitFor(async () => {
        const res = await fetch(`${b}/v1/training-jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `scale-out-${dataset.id}` },
          body: JSON.stringify({ dataset: dataset.id, epochs: 2, batchSize: 32, hiddenLayers: [16], seed: 3 }),
        });
        return res.status === 503 ? undefined : res;
      }, 30_000);
      expect(queued.status).toBe(202);
      const { id } = (await queued.json()) as TrainingJob;
      const done = await waitFor(async () => {
        const job = (await (await fetch(`${a}/v1/training-jobs/${id}`)).json()) as TrainingJob;
        return job.state === 'completed' || job.state === 'failed' ? job : undefined;
      }, 150_000);
      expect(done.error, processes.map((p) => p.output()).join('\n')).toBeNull();
      expect(done.state).toBe('completed');
      const modelId = done.modelId!;

      for (const base of [a, b]) {
        const got = await fetch(`${base}/v1/models/${modelId}`);
        expect(got.status).toBe(200);
        expect(await got.json()).toMatchObject({ id: modelId, jobId: id, dataset: dataset.id });
        // The default model: the newest in the listing, seen within MODEL_LIST_CACHE_MS.
        const predicted = await waitFor(async () => {
          const answer = await fetch(`${base}/v1/predict`, {
            method: 'POST',
            headers: { 'content-type': 'image/png' },
            body: new Uint8Array(syntheticPng(4)),
          });
          const body = (await answer.json()) as { modelId?: string; predictions?: unknown[] };
          return answer.status === 200 && body.modelId === modelId ? body : undefined;
        }, 10_000);
        expect(predicted.predictions).toHaveLength(1);
      }

      const storage = s3.storage('scale-out/');
      expect(await storage.list(`models/${modelId}/`)).toHaveLength(3);
      expect(await storage.list('checkpoints/')).toEqual([]); // removed when the job ended
      for (const c of configs) {
        for (const sub of ['models', 'datasets', 'checkpoints']) expect(existsSync(join(c.DATA_DIR, sub))).toBe(false);
      }

      expect((await fetch(`${b}/v1/models/${modelId}`, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(`${a}/v1/models/${modelId}`)).status).toBe(404);
      expect(await storage.list(`models/${modelId}/`)).toEqual([]);
    },
  );
});
