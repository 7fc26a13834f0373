import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

/** Many jobs at once, several workers on one queue: every job ends, and runs once. */
describe('50 jobs submitted at once', { timeout: 150_000 }, () => {
  let config: Config;
  let api: RunningProcess;
  let workers: RunningProcess[] = [];
  let base: string;

  beforeAll(async () => {
    config = await testConfig({ WORKER_CONCURRENCY: '2' });
    config = { ...config, PORT: 30000 + Math.floor(Math.random() * 20000) };
    base = `http://127.0.0.1:${config.PORT}`;
    [api, ...workers] = await Promise.all([startApi(config), startWorker(config), startWorker(config)]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), ...workers.map((w) => w.stop())]);
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it('all reach a final state, each run by exactly one worker once', async () => {
    const form = new FormData();
    form.append('name', 'small');
    for (const [field, buf] of Object.entries(makeIdxFiles(200, 50))) {
      form.append(field, new Blob([new Uint8Array(buf)]), field);
    }
    const dataset = (await (await fetch(`${base}/v1/datasets`, { method: 'POST', body: form })).json()) as {
      id: string;
    };
    const submitted = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await fetch(`${base}/v1/training-jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ dataset: dataset.id, epochs: 1, hiddenLayers: [16], seed: i }),
        });
        expect(res.status).toBe(202);
        return ((await res.json()) as TrainingJob).id;
      }),
    );
    expect(new Set(submitted).size).toBe(50);
    const finished = await waitFor(
      async () => {
        const list = (await (await fetch(`${base}/v1/training-jobs?limit=100`)).json()) as { items: TrainingJob[] };
        const done = list.items.filter((j) => submitted.includes(j.id) && ['completed', 'failed'].includes(j.state));
        return done.length === 50 ? done : undefined;
      },
      120_000,
      250,
    );
    expect(finished.every((j) => j.state === 'completed')).toBe(true);
    const logs = workers.map((w) => w.output()).join('\n');
    for (const id of submitted) {
      expect(logs.split(`"jobId":"${id}","dataset"`).length - 1).toBe(1); // one "training job started"
    }
    // Both workers took a share.
    expect(workers.every((w) => w.output().includes('training job started'))).toBe(true);
  });
});
