import { Queue, UnrecoverableError, Worker } from 'bullmq';
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

describe("a tenant's jobs by state", () => {
  let t: TestApp;
  let worker: Worker;
  let connection: Redis;
  const made: Record<string, string> = {};

  beforeAll(async () => {
    t = await buildTestApp();
    // A plain worker ends each job as its name says: completed, failed or cancelled while running.
    connection = new Redis(t.config.REDIS_URL, { maxRetriesPerRequest: null });
    worker = new Worker(
      TRAINING_QUEUE,
      async (job) => {
        if (job.data.name.startsWith('ok')) return { modelId: 'none' };
        throw new UnrecoverableError(job.data.name.startsWith('cancel') ? CANCELLED_REASON : 'boom');
      },
      { connection, prefix: t.config.QUEUE_PREFIX },
    );
    const run = async (name: string, tenant: string, until: string) => {
      const { job } = await t.deps.jobs.submit({ name, epochs: 1 }, { tenant });
      made[name] = job.id;
      await waitFor(async () => ((await t.deps.jobs.get(job.id)).state === until ? true : undefined), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct creation times
    };
    await run('ok-1', 'team-x', 'completed');
    await run('ok-2', 'team-x', 'completed');
    await run('fail-1', 'team-x', 'failed');
    await run('cancel-1', 'team-x', 'cancelled');
    await run('ok-y', 'team-y', 'completed');
    await worker.close();
    for (const name of ['q-1', 'q-2']) {
      made[name] = (await t.deps.jobs.submit({ name, epochs: 1 }, { tenant: 'team-x' })).job.id;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await t.deps.jobs.cancel(made['q-2']!, 'team-x'); // cancelled while queued: a tombstone
  });
  afterAll(async () => {
    await worker.close();
    connection.disconnect();
    await t.close();
  });

  const listed = async (state: string) =>
    (await t.deps.jobs.list({ tenant: 'team-x', state: state as 'queued' })).map((j) => j.name);

  it('counts each state from its own jobs only', async () => {
    expect(await t.deps.jobs.counts('team-x')).toEqual({
      queued: 1,
      running: 0,
      completed: 2,
      failed: 1,
      cancelled: 2,
    });
    expect(await t.deps.jobs.counts('team-y')).toEqual({
      queued: 0,
      running: 0,
      completed: 1,
      failed: 0,
      cancelled: 0,
    });
  });

  it('lists each state newest first, and no other tenant', async () => {
    expect(await listed('completed')).toEqual(['ok-2', 'ok-1']);
    expect(await listed('failed')).toEqual(['fail-1']);
    expect(await listed('cancelled')).toEqual(['q-2', 'cancel-1']);
    expect(await listed('queued')).toEqual(['q-1']);
    expect(await listed('running')).toEqual([]);
  });

  it('drops from the index a job BullMQ has forgotten, and counts it no more', async () => {
    const queue = new Queue(TRAINING_QUEUE, { connection, prefix: t.config.QUEUE_PREFIX });
    await (await queue.getJob(made['ok-1']!))!.remove(); // as its retention would
    await queue.close();
    expect((await t.deps.jobs.counts('team-x')).completed).toBe(1);
    const key = `${t.config.QUEUE_PREFIX}:${TRAINING_QUEUE}:tenant:team-x:jobs`;
    expect(await t.deps.redis.zscore(key, made['ok-1']!)).toBeNull();
    expect(await t.deps.redis.zscore(key, made['ok-2']!)).not.toBeNull();
    expect(await listed('completed')).toEqual(['ok-2']);
  });
});
