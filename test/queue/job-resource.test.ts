import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress, TrainingJobResult } from '../../src/schemas/job.js';
import { TRAINING_QUEUE } from '../../src/queue/training-queue.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/processes.js';

const epoch = (n: number) => ({ epoch: n, loss: 1 / n, accuracy: 0.5 + n / 20, seconds: 0.1 });
const progressOf = (epochs: number, done: number): Progress => ({
  epoch: done,
  epochs,
  loss: 1 / done,
  accuracy: 0.5 + done / 20,
  samplesPerSecond: 1000,
  history: Array.from({ length: done }, (_, i) => epoch(i + 1)),
});

describe('a completed job shows the progress its completion carries', () => {
  let t: TestApp;
  let worker: Worker;
  let connection: Redis;

  beforeAll(async () => {
    t = await buildTestApp();
    connection = new Redis(t.config.REDIS_URL, { maxRetriesPerRequest: null });
    // As after a failover that lost the primary's last, unreplicated progress writes: the job's
    // own progress stops at epoch 2 while the result, written with the completion, has all five.
    worker = new Worker<unknown, TrainingJobResult>(
      TRAINING_QUEUE,
      async (job) => {
        await job.updateProgress(progressOf(5, 2));
        return { modelId: 'm-1', metrics: { testLoss: 0.3, testAccuracy: 0.9 }, progress: progressOf(5, 5) };
      },
      { connection, prefix: t.config.QUEUE_PREFIX },
    );
  });
  afterAll(async () => {
    await worker.close();
    connection.disconnect();
    await t.close();
  });

  it('reads the history from the result, not from a progress record that missed the last epochs', async () => {
    const { job } = await t.deps.jobs.submit({ name: 'lost-progress', epochs: 5 });
    const done = await waitFor(async () => {
      const j = await t.deps.jobs.get(job.id);
      return j.state === 'completed' ? j : undefined;
    }, 20_000);
    expect(done.progress.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(done.progress.epoch).toBe(5);
    expect(done.modelId).toBe('m-1');
  });
});
