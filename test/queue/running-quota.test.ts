import { randomBytes } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createRunningQuota } from '../../src/queue/running-quota.js';
import { TRAINING_QUEUE } from '../../src/queue/training-queue.js';
import { waitFor } from '../helpers/processes.js';

/**
 * Against real BullMQ state: jobs are taken by a worker without a processor (getNextJob), so
 * each holds a real lock that nothing renews; a "crashed" worker is one whose lock expires.
 */
describe('running jobs per key', () => {
  const prefix = `ty-test-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let queue: Queue;
  let worker: Worker;
  const LOCK_MS = 2000;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    queue = new Queue(TRAINING_QUEUE, { connection: redis, prefix });
    worker = new Worker(TRAINING_QUEUE, null, { connection: redis, prefix, lockDuration: LOCK_MS, autorun: false });
  });
  afterAll(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });

  /** Adds a job and takes it as a worker would: it is active, under a lock of `token`. */
  async function takeJob(token: string): Promise<Job> {
    const added = await queue.add('train', {});
    const job = (await worker.getNextJob(token)) as Job;
    expect(job.id).toBe(added.id);
    return job;
  }

  it('gives an owner at most max slots, others their own, and frees a slot on release', async () => {
    const quota = createRunningQuota({ redis, prefix, max: 1 });
    const [a1, a2, b1] = [await takeJob('t-a1'), await takeJob('t-a2'), await takeJob('t-b1')];
    expect(await quota.acquire('key:a', a1.id!)).toBe(true);
    expect(await quota.acquire('key:a', a1.id!)).toBe(true); // the same job again (a resumed attempt)
    expect(await quota.acquire('key:a', a2.id!)).toBe(false);
    expect(await quota.acquire('key:b', b1.id!)).toBe(true);
    await quota.release('key:a', a1.id!);
    expect(await quota.acquire('key:a', a2.id!)).toBe(true);
    for (const [job, token] of [
      [a1, 't-a1'],
      [a2, 't-a2'],
      [b1, 't-b1'],
    ] as const) {
      await job.moveToCompleted('done', token, false);
    }
  });

  it('drops a slot whose job ended without releasing it', async () => {
    const quota = createRunningQuota({ redis, prefix, max: 1 });
    const [c1, c2] = [await takeJob('t-c1'), await takeJob('t-c2')];
    expect(await quota.acquire('key:c', c1.id!)).toBe(true);
    expect(await quota.acquire('key:c', c2.id!)).toBe(false);
    await c1.moveToFailed(new Error('trainer died'), 't-c1', false); // no release
    expect(await quota.acquire('key:c', c2.id!)).toBe(true);
    expect(await redis.smembers(`${prefix}:training:running-by:key:c`)).toEqual([c2.id]);
    await c2.moveToCompleted('done', 't-c2', false);
  });

  it('stops counting a crashed worker’s job once its lock expires', async () => {
    const quota = createRunningQuota({ redis, prefix, max: 1 });
    const d1 = await takeJob('t-d1'); // its worker "dies": nobody renews the lock
    expect(await quota.acquire('key:d', d1.id!)).toBe(true);
    const d2 = await takeJob('t-d2');
    await d2.extendLock('t-d2', 30_000); // this one's worker is alive
    expect(await quota.acquire('key:d', d2.id!)).toBe(false);
    await waitFor(async () => ((await quota.acquire('key:d', d2.id!)) ? true : undefined), 10_000, 100);
    expect(await quota.acquire('key:d', d1.id!)).toBe(false);
  });

  it('counts nothing with max 0', async () => {
    const quota = createRunningQuota({ redis, prefix, max: 0 });
    expect(await quota.acquire('key:e', 'x')).toBe(true);
    expect(await quota.acquire('key:e', 'y')).toBe(true);
    expect(await redis.exists(`${prefix}:training:running-by:key:e`)).toBe(0);
  });
});
