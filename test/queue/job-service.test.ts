import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCELLED_REASON } from '../../src/schemas/job.js';
import { TRAINING_QUEUE } from '../../src/queue/training-queue.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/processes.js';

describe('job listing by failed and cancelled state', () => {
  let t: TestApp;
  let worker: Worker;
  let connection: Redis;
  const ids: Record<'failed' | 'cancelled', string[]> = { failed: [], cancelled: [] };

  beforeAll(async () => {
    t = await buildTestApp();
    // Jobs fail or end cancelled without training: a plain worker on the same queue fails each
    // with the reason its name asks for. Two failures first, then three cancellations, so the
    // newest jobs of BullMQ's failed set are all cancelled ones.
    connection = new Redis(t.config.REDIS_URL, { maxRetriesPerRequest: null });
    worker = new Worker(
      TRAINING_QUEUE,
      async (job) => {
        throw new UnrecoverableError(job.data.name.startsWith('cancel') ? CANCELLED_REASON : 'boom');
      },
      { connection, prefix: t.config.QUEUE_PREFIX },
    );
    for (const name of ['fail-1', 'fail-2', 'cancel-1', 'cancel-2', 'cancel-3']) {
      const { job } = await t.deps.jobs.submit({ name, epochs: 1 });
      const kind = name.startsWith('cancel') ? 'cancelled' : 'failed';
      ids[kind].push(job.id);
      await waitFor(async () => ((await t.deps.jobs.get(job.id)).state === kind ? true : undefined), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct creation times
    }
  });
  afterAll(async () => {
    await worker.close();
    connection.disconnect();
    await t.close();
  });

  it('finds `limit` failed jobs even when newer cancelled ones fill the first page', async () => {
    const res = await t.app.inject({ url: '/v1/training-jobs?state=failed&limit=2' });
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: { id: string; state: string }[] }>().items;
    expect(items.map((j) => j.state)).toEqual(['failed', 'failed']);
    expect(items.map((j) => j.id)).toEqual([...ids.failed].reverse());
  });

  it('finds cancelled ones, newest first, up to the limit', async () => {
    const res = await t.app.inject({ url: '/v1/training-jobs?state=cancelled&limit=2' });
    expect(res.json<{ items: { id: string }[] }>().items.map((j) => j.id)).toEqual(ids.cancelled.slice(1).reverse());
  });

  it('counts jobs cancelled while running among the failed ones in the metrics counts', async () => {
    const counts = await t.deps.jobs.counts();
    expect(counts).toMatchObject({ queued: 0, running: 0, completed: 0, failed: 5, cancelled: 0 });
  });
});
