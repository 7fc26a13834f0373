import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';

/** A Redis with AOF that dies (SIGKILL) and comes back while a job trains and another waits. */
describe('a Redis restart during training', { timeout: 150_000 }, () => {
  let redis: PrivateRedis;
  let aofDir: string;
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;

  beforeAll(async () => {
    aofDir = await mkdtemp(join(tmpdir(), 'trainyard-aof-'));
    redis = await startPrivateRedis({ aofDir });
    config = await testConfig({ REDIS_URL: redis.url });
    config = { ...config, PORT: 30000 + Math.floor(Math.random() * 20000) };
    base = `http://127.0.0.1:${config.PORT}`;
    [api, worker] = await Promise.all([startApi(config), startWorker(config)]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop('SIGKILL')]);
    await redis?.kill();
    await rm(aofDir, { recursive: true, force: true });
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const getJob = async (id: string) => {
    const res = await fetch(`${base}/v1/training-jobs/${id}`);
    return res.status === 200 ? ((await res.json()) as TrainingJob) : undefined;
  };
  const submit = async (body: object) =>
    (await (
      await fetch(`${base}/v1/training-jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json()) as TrainingJob;

  it('loses neither the running job nor the queued one', async () => {
    const running = await submit({ epochs: 8, seed: 1 });
    const queued = await submit({ epochs: 1, seed: 2 }); // one worker, concurrency 1: it waits
    await waitFor(async () => {
      const j = await getJob(running.id);
      return j?.state === 'running' && j.progress.epoch >= 2 ? j : undefined;
    });
    await redis.kill();
    await new Promise((r) => setTimeout(r, 2000));
    await redis.start();
    const finished = async (id: string) =>
      waitFor(
        async () => {
          const j = await getJob(id);
          return j && ['completed', 'failed'].includes(j.state) ? j : undefined;
        },
        120_000,
        200,
      );
    const first = await finished(running.id);
    expect(first.state).toBe('completed');
    expect(first.progress.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const second = await finished(queued.id);
    expect(second.state).toBe('completed');
  });
});
