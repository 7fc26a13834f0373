import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

/**
 * Faults with real processes: cancel, kill -9, SIGTERM. Locks are short here so that a dead
 * worker's job is taken over in seconds rather than the production ~30 s.
 */
describe('job lifecycle under faults', { timeout: 150_000 }, () => {
  let config: Config;
  let api: RunningProcess;
  const workers: RunningProcess[] = [];
  let base: string;
  const fastLocks = { JOB_LOCK_MS: '3000', STALLED_CHECK_MS: '1000' };

  beforeAll(async () => {
    config = await testConfig(fastLocks);
    config = { ...config, PORT: 30000 + Math.floor(Math.random() * 20000) };
    base = `http://127.0.0.1:${config.PORT}`;
    api = await startApi(config);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), ...workers.map((w) => w.stop('SIGKILL'))]);
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const newWorker = async () => {
    const w = await startWorker(config);
    workers.push(w);
    return w;
  };
  const getJob = async (id: string) => (await (await fetch(`${base}/v1/training-jobs/${id}`)).json()) as TrainingJob;
  const submit = async (body: object) => {
    const res = await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as TrainingJob;
  };
  const cancel = (id: string) => fetch(`${base}/v1/training-jobs/${id}/cancel`, { method: 'POST' });
  const untilEpoch = (id: string, epoch: number) =>
    waitFor(
      async () => {
        const j = await getJob(id);
        return j.state === 'running' && j.progress.epoch >= epoch ? j : undefined;
      },
      60_000,
      50,
    );
  const untilFinished = (id: string) =>
    waitFor(
      async () => {
        const j = await getJob(id);
        return ['completed', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      },
      90_000,
      100,
    );

  it('cancels a queued job at once and keeps its record until deleted', async () => {
    const job = await submit({ epochs: 1 }); // no worker is running yet: it stays queued
    const res = await cancel(job.id);
    expect(res.status).toBe(202);
    expect(((await res.json()) as TrainingJob).state).toBe('cancelled');
    expect((await getJob(job.id)).state).toBe('cancelled');
    const listed = (await (await fetch(`${base}/v1/training-jobs?state=cancelled`)).json()) as { items: TrainingJob[] };
    expect(listed.items.map((j) => j.id)).toContain(job.id);
    const again = await cancel(job.id);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('JOB_FINISHED');
    expect((await fetch(`${base}/v1/training-jobs/${job.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${base}/v1/training-jobs/${job.id}`)).status).toBe(404);
  });

  it('stops a running job after its current batch; no model is stored', async () => {
    await newWorker();
    const job = await submit({ epochs: 50, seed: 1 });
    await untilEpoch(job.id, 1);
    expect((await fetch(`${base}/v1/training-jobs/${job.id}`, { method: 'DELETE' })).status).toBe(409);
    const res = await cancel(job.id);
    expect(res.status).toBe(202);
    const done = await untilFinished(job.id);
    expect(done.state).toBe('cancelled');
    expect(done.error).toBeNull();
    expect(done.modelId).toBeNull();
    expect(done.progress.epoch).toBeLessThan(50);
    expect((await fetch(`${base}/v1/models/${job.id}`)).status).toBe(404);
    expect(existsSync(join(config.DATA_DIR, 'checkpoints', `${job.id}.ckpt`))).toBe(false);
  });

  it('finishes a job on a fresh worker from its checkpoint after kill -9', async () => {
    for (const w of workers.splice(0)) await w.stop('SIGKILL');
    const first = await newWorker();
    const job = await submit({ epochs: 6, seed: 2 });
    const before = await untilEpoch(job.id, 2);
    await first.stop('SIGKILL');
    await newWorker();
    const done = await untilFinished(job.id);
    expect(done.state).toBe('completed');
    // Every epoch exactly once; those finished before the crash keep their figures.
    expect(done.progress.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(done.progress.history.slice(0, before.progress.epoch)).toEqual(before.progress.history);
    expect(existsSync(join(config.DATA_DIR, 'checkpoints', `${job.id}.ckpt`))).toBe(false);
  });

  it('keeps a cancel sent while no worker holds the job, and applies it when one takes it over', async () => {
    for (const w of workers.splice(0)) await w.stop('SIGKILL');
    const first = await newWorker();
    const job = await submit({ epochs: 30, seed: 4 });
    await untilEpoch(job.id, 1);
    await first.stop('SIGKILL'); // nobody listens for the cancel now
    expect((await cancel(job.id)).status).toBe(202);
    await newWorker();
    const done = await untilFinished(job.id);
    expect(done.state).toBe('cancelled');
    expect(done.modelId).toBeNull();
  });

  it('hands a job to another worker at once on SIGTERM, which resumes it', async () => {
    for (const w of workers.splice(0)) await w.stop('SIGKILL');
    const a = await newWorker();
    const b = await newWorker();
    const job = await submit({ epochs: 6, seed: 3 });
    const before = await untilEpoch(job.id, 2);
    const holder = a.output().includes(`"jobId":"${job.id}"`) ? a : b;
    const other = holder === a ? b : a;
    expect(await holder.stop('SIGTERM')).toBe(0);
    const done = await untilFinished(job.id);
    expect(done.state).toBe('completed');
    expect(done.progress.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(done.progress.history.slice(0, before.progress.epoch)).toEqual(before.progress.history);
    expect(other.output()).toContain(`"jobId":"${job.id}"`);
  });
});
