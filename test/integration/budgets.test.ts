import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { TRAINING_QUEUE } from '../../src/queue/training-queue.js';
import { testConfig } from '../helpers/app.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

const KEY_A = 'a'.repeat(24);
const KEY_B = 'b'.repeat(24);

/**
 * Budgets with the real processes: a worker running two jobs at once whose owners may each
 * have one running (MAX_RUNNING_JOBS_PER_KEY=1), and jobs past their run-time limit.
 */
describe('running jobs per key and run-time limits, end to end', { timeout: 200_000 }, () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    const port = 30000 + Math.floor(Math.random() * 20000);
    config = await testConfig({
      PORT: String(port),
      API_KEYS: `${KEY_A}:train,${KEY_B}:train`,
      MAX_RUNNING_JOBS_PER_KEY: '1',
      WORKER_CONCURRENCY: '2',
    });
    base = `http://127.0.0.1:${port}`;
    [api, worker] = await Promise.all([startApi(config), startWorker(config)]);
    redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(TRAINING_QUEUE, { connection: redis, prefix: config.QUEUE_PREFIX });
  });
  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await queue?.close();
    redis?.disconnect();
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const submit = async (key: string, body: object) => {
    const res = await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as TrainingJob).id;
  };
  const finished = (id: string) =>
    waitFor(
      async () => {
        const res = await fetch(`${base}/v1/training-jobs/${id}`, { headers: { authorization: `Bearer ${KEY_A}` } });
        const job = (await res.json()) as TrainingJob;
        return ['completed', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
      },
      180_000,
      100,
    );
  const attemptsMade = async (id: string) => (await queue.getJob(id))!.attemptsMade;

  it("runs one key's jobs one after another while another key's job runs beside them", async () => {
    const body = { epochs: 8, seed: 3 };
    const a1 = await submit(KEY_A, body);
    const a2 = await submit(KEY_A, body);
    const b1 = await submit(KEY_B, body);
    const [ja1, ja2, jb1] = await Promise.all([a1, a2, b1].map(finished));
    for (const job of [ja1!, ja2!, jb1!]) {
      expect(job.state).toBe('completed');
      expect(job.error).toBeNull();
    }
    const [first, second] = [ja1!, ja2!].sort((x, y) => x.startedAt!.localeCompare(y.startedAt!));
    // The second of A's jobs started once the first had finished...
    expect(second!.startedAt! >= first!.finishedAt!).toBe(true);
    // ...while B's job, submitted after both, ran beside the first.
    expect(jb1!.startedAt! < first!.finishedAt!).toBe(true);
    // Waiting for a slot is not an attempt: each job was tried once.
    for (const id of [a1, a2, b1]) expect(await attemptsMade(id)).toBe(1);
    // Every slot was given back: the owner's set of running jobs is empty.
    const ownerA = `key:${createHash('sha256').update(KEY_A).digest('hex').slice(0, 12)}`;
    expect(await redis.smembers(`${config.QUEUE_PREFIX}:training:running-by:${ownerA}`)).toEqual([]);
    expect((await queue.getJob(a1))!.data.owner).toBe(ownerA);
  });

  it('fails a job past its run-time limit once, without retries, and keeps training the next', async () => {
    const slow = await submit(KEY_B, { epochs: 100, timeoutSeconds: 1 });
    const failed = await finished(slow);
    expect(failed.state).toBe('failed');
    expect(failed.timeoutSeconds).toBe(1);
    expect(failed.error!.message).toBe('exceeded its run-time limit of 1 s');
    expect(failed.modelId).toBeNull();
    expect(await attemptsMade(slow)).toBe(1);
    const models = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${KEY_B}` } });
    expect(((await models.json()) as { items: { jobId: string }[] }).items.map((m) => m.jobId)).not.toContain(slow);

    const next = await finished(await submit(KEY_B, { epochs: 1 }));
    expect(next.state).toBe('completed');
  });
});
