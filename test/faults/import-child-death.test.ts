import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { IMPORT_QUEUE } from '../../src/queue/import-queue.js';
import type { DatasetResource } from '../../src/schemas/dataset.js';
import { testConfig } from '../helpers/app.js';
import { classFolders, makeZip } from '../helpers/archives.js';
import { multipart } from '../helpers/http.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

/**
 * An import child that dies (kill -9, the kernel's OOM killer, a crash in a decoder) on every
 * attempt: the dataset must end `failed`, not stay `importing` with jobs waiting on it for ever.
 */
describe('an import whose child dies on every attempt', { timeout: 150_000 }, () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;
  let queue: Queue;

  beforeAll(async () => {
    config = await testConfig({ JOB_LOCK_MS: '3000', STALLED_CHECK_MS: '1000' });
    config = { ...config, PORT: 30000 + Math.floor(Math.random() * 20000) };
    base = `http://127.0.0.1:${config.PORT}`;
    [api, worker] = await Promise.all([startApi(config), startWorker(config)]);
    queue = new Queue(IMPORT_QUEUE, { connection: { url: config.REDIS_URL }, prefix: config.QUEUE_PREFIX });
  }, 60_000);

  afterAll(async () => {
    await queue?.close();
    await Promise.all([api?.stop(), worker?.stop('SIGKILL')]);
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const children = () => {
    try {
      return execFileSync('pgrep', ['-P', String(worker.proc.pid)])
        .toString()
        .trim()
        .split('\n')
        .map(Number);
    } catch {
      return [];
    }
  };
  const dataset = async (id: string) => (await (await fetch(`${base}/v1/datasets/${id}`)).json()) as DatasetResource;

  it('ends the dataset failed with the reason, and a training job on it is refused with 409', async () => {
    const { headers, payload } = await multipart([
      ['name', 'doomed'],
      ['archive', await makeZip(classFolders(['a', 'b', 'c', 'd'], 8000))],
    ]);
    const res = await fetch(`${base}/v1/datasets`, { method: 'POST', headers, body: new Uint8Array(payload) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as DatasetResource;
    for (let attempt = 1; attempt <= 3; attempt++) {
      // Killed while it imports, each attempt.
      const pids = await waitFor(
        async () => {
          const job = await queue.getJob(id);
          if (!job || job.attemptsMade !== attempt - 1 || (await job.getState()) !== 'active') return undefined;
          // Past its start-up: the child has reported reading files of this attempt.
          if (!((job.progress as { filesRead?: number }).filesRead! > 0)) return undefined;
          const found = children();
          return found.length > 0 ? found : undefined;
        },
        60_000,
        20,
      );
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      await (await queue.getJob(id))!.updateProgress({});
    }
    const ended = await waitFor(async () => {
      const d = await dataset(id);
      return d.state === 'importing' ? undefined : d;
    }, 60_000);
    expect(ended.state).toBe('failed');
    expect(ended.import?.error).toMatch(/the import failed on the server 3 times/);
    const job = await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: id, epochs: 1 }),
    });
    expect(job.status).toBe(409);
    // Nothing of the upload is left but the record.
    expect((await fetch(`${base}/v1/datasets/${id}/preview.png`)).status).toBe(404);
  });
});
