import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerMetrics, serveMetrics } from '../../src/metrics/worker-metrics.js';
import { createApiDeps } from '../../src/runtime.js';
import type { Config } from '../../src/config.js';
import { testConfig } from '../helpers/app.js';
import { freePort, promSample as sample } from '../helpers/net.js';
import { startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

const KEY = 'metrics-key-0123456789';
const bearer = { authorization: `Bearer ${KEY}` };

/** An address of this machine other than loopback, if it has one. */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('worker metrics', () => {
  let config: Config;
  let worker: RunningProcess;
  let port: number;
  let api: Awaited<ReturnType<typeof createApiDeps>>;
  beforeAll(async () => {
    port = await freePort();
    config = await testConfig({ WORKER_METRICS_PORT: String(port), METRICS_KEY: KEY });
    [worker, api] = await Promise.all([startWorker(config), createApiDeps(config)]);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
  });

  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: bearer });
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

  it('needs METRICS_KEY as a bearer when it is set', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-key' }, { authorization: KEY }] as Record<
      string,
      string
    >[]) {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(await res.text()).not.toContain('trainyard_');
    }
  });

  it.skipIf(!lanAddress)('listens on loopback only by default', async () => {
    await expect(fetch(`http://${lanAddress}:${port}/metrics`, { headers: bearer })).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
  });

  it('answers 404 for anything but GET /metrics', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});

describe('the worker metrics endpoint', () => {
  const registry = (): Registry => createWorkerMetrics().registry;

  it('listens on 127.0.0.1 unless told otherwise', async () => {
    const local = await serveMetrics(registry(), { port: 0 });
    const any = await serveMetrics(registry(), { port: 0, host: '0.0.0.0' });
    try {
      expect((local.address() as AddressInfo).address).toBe('127.0.0.1');
      expect((any.address() as AddressInfo).address).toBe('0.0.0.0');
    } finally {
      local.close();
      any.close();
    }
  });

  it('serves scrapes without a key when none is set, and only with the key when one is', async () => {
    const open = await serveMetrics(registry(), { port: 0 });
    const keyed = await serveMetrics(registry(), { port: 0, key: KEY });
    const url = (s: typeof open) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/metrics`;
    try {
      expect((await fetch(url(open))).status).toBe(200);
      expect((await fetch(url(keyed))).status).toBe(401);
      expect((await fetch(url(keyed), { headers: { authorization: `Bearer ${KEY}x` } })).status).toBe(401);
      expect((await fetch(url(keyed), { headers: { authorization: `bearer  ${KEY} ` } })).status).toBe(200);
      const res = await fetch(url(keyed), { headers: bearer });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE trainyard_epochs_total counter');
    } finally {
      open.close();
      keyed.close();
    }
  });
});
