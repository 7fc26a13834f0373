import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiDeps } from '../../src/runtime.js';
import type { Config } from '../../src/config.js';
import { testConfig } from '../helpers/app.js';
import { freePort, promSample as sample } from '../helpers/net.js';
import { startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

describe('worker metrics', () => {
  let config: Config;
  let worker: RunningProcess;
  let port: number;
  let api: Awaited<ReturnType<typeof createApiDeps>>;
  beforeAll(async () => {
    port = await freePort();
    config = await testConfig({ WORKER_METRICS_PORT: String(port) });
    [worker, api] = await Promise.all([startWorker(config), createApiDeps(config)]);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
  });

  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('counts epochs, throughput and job durations of the jobs it trains', async () => {
    const before = await scrape();
    expect(sample(before, 'trainyard_epochs_total')).toBe(0);
    expect(before).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    const { job } = await api.deps.jobs.submit({ epochs: 2, batchSize: 128 });
    await waitFor(async () => ((await api.deps.jobs.get(job.id)).state === 'completed' ? true : undefined), 120_000);
    const text = await scrape();
    expect(sample(text, 'trainyard_epochs_total')).toBe(2);
    expect(sample(text, 'trainyard_training_samples_per_second')).toBeGreaterThan(0);
    expect(sample(text, 'trainyard_job_duration_seconds_count{outcome="completed"}')).toBe(1);
    expect(sample(text, 'trainyard_job_duration_seconds_sum{outcome="completed"}')).toBeGreaterThan(0);
  }, 150_000);

  it('answers 404 for anything but GET /metrics', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});
