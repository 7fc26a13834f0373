import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from '../../../src/app.js';
import type { Config } from '../../../src/config.js';
import { STREAM_ID, compareIds } from '../../../src/queue/job-events.js';
import { createApiDeps } from '../../../src/runtime.js';
import type { TrainingJob } from '../../../src/schemas/job.js';
import { testConfig } from '../../helpers/app.js';
import { startWorker, waitFor, type RunningProcess } from '../../helpers/processes.js';
import { connectSse, type SseConnection, type SseEvent } from '../../helpers/sse.js';
import { expectError } from '../http.js';

/** The real app on a real port, its deps, and its log lines. */
async function startApp(config: Config, over: Partial<AppDeps> = {}) {
  const { deps, close } = await createApiDeps(config);
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const app = await buildApp({ ...deps, ...over }, { loggerInstance: logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, deps, logs, base, closeDeps: close };
}

async function nextOf(sse: SseConnection, name: string): Promise<SseEvent> {
  for (let e = await sse.next(); e; e = await sse.next()) if (e.event === name) return e;
  throw new Error(`the stream ended before a "${name}" event`);
}

const epochs = (events: SseEvent[]) =>
  events.filter((e) => e.event === 'progress').map((e) => (e.data as { epoch: number }).epoch);

describe('GET /v1/training-jobs/:id/events without a worker (jobs stay queued)', () => {
  let config: Config;
  let s: Awaited<ReturnType<typeof startApp>>;
  let appClosed = false;
  beforeAll(async () => {
    config = await testConfig();
    s = await startApp(config, { eventsHeartbeatMs: 50 });
  });
  afterAll(async () => {
    if (!appClosed) await s.app.close();
    await s.closeDeps();
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const inject = (app: FastifyInstance, method: 'GET' | 'POST', url: string, headers = {}) =>
    app.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) });
  const queue = async () => (await inject(s.app, 'POST', '/v1/training-jobs')).json() as TrainingJob;

  it('answers 404 in the one error shape for an unknown job', async () => {
    const res = await inject(s.app, 'GET', '/v1/training-jobs/no-such-job/events');
    expectError(res, 404, 'JOB_NOT_FOUND', /training job "no-such-job" not found/);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('answers 400 for a Last-Event-ID that is not a stream id', async () => {
    const job = await queue();
    const res = await inject(s.app, 'GET', `/v1/training-jobs/${job.id}/events`, { 'last-event-id': 'yesterday' });
    expectError(res, 400, 'VALIDATION_ERROR', /last-event-id/);
  });

  it('starts with the current state, sends heartbeats, and lets go of the job when the client leaves', async () => {
    const job = await queue();
    const sse = await connectSse(`${s.base}/v1/training-jobs/${job.id}/events`);
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(sse.headers.get('cache-control')).toBe('no-cache');
    const first = await sse.next();
    expect(first).toEqual({ id: expect.stringMatching(STREAM_ID), event: 'state', data: { state: 'queued' } });
    expect(s.deps.jobEvents.subscriberCount()).toBe(1);
    // Heartbeats come as comment lines, while no event does.
    const pending = sse.next();
    await waitFor(async () => (sse.comments.filter((c) => c === 'ping').length >= 2 ? true : undefined), 10_000, 20);
    sse.abort();
    expect(await pending).toBeUndefined();
    await waitFor(async () => (s.deps.jobEvents.subscriberCount() === 0 ? true : undefined), 10_000, 20);
    // The request is logged once it ends, like any other.
    const line = await waitFor(
      async () => s.logs.find((l) => l.msg === 'request' && String(l.url).startsWith(`/v1/training-jobs/${job.id}/`)),
      5000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; logs: ${JSON.stringify(s.logs)}`);
    });
    expect(line).toMatchObject({ route: '/v1/training-jobs/:id/events', statusCode: 200, closedByClient: true });
    expect(s.logs.filter((l) => l.reqId === line.reqId)).toHaveLength(1);
  });

  it('ends with `cancelled` when a queued job is cancelled, and a reconnect after the end is a 204', async () => {
    const job = await queue();
    const sse = await connectSse(`${s.base}/v1/training-jobs/${job.id}/events`);
    expect((await sse.next())?.data).toEqual({ state: 'queued' });
    expect((await inject(s.app, 'POST', `/v1/training-jobs/${job.id}/cancel`)).statusCode).toBe(202);
    const rest = await sse.rest(); // ends: the server closes the stream after the final event
    expect(rest.map((e) => e.event)).toEqual(['cancelled']);
    const final = rest[0]!;
    expect(final.data).toEqual((await inject(s.app, 'GET', `/v1/training-jobs/${job.id}`)).json());
    expect((final.data as TrainingJob).state).toBe('cancelled');

    const again = await connectSse(`${s.base}/v1/training-jobs/${job.id}/events`, { 'last-event-id': final.id! });
    expect(again.status).toBe(204);
    // A fresh connection to a finished job gets its state and outcome, then the end.
    const fresh = await connectSse(`${s.base}/v1/training-jobs/${job.id}/events`);
    expect((await fresh.rest()).map((e) => [e.event, (e.data as { state: string }).state])).toEqual([
      ['state', 'cancelled'],
      ['cancelled', 'cancelled'],
    ]);
    await waitFor(async () => (s.deps.jobEvents.subscriberCount() === 0 ? true : undefined), 10_000, 20);
  });

  it('closing the server ends open streams instead of waiting for them', async () => {
    const job = await queue();
    const sse = await connectSse(`${s.base}/v1/training-jobs/${job.id}/events`);
    expect((await sse.next())?.event).toBe('state');
    await s.app.close();
    appClosed = true;
    expect(await sse.next()).toBeUndefined();
    expect(s.deps.jobEvents.subscriberCount()).toBe(0);
  });
});

describe('GET /v1/training-jobs/:id/events with a worker training the jobs', () => {
  let config: Config;
  let s: Awaited<ReturnType<typeof startApp>>;
  let worker: RunningProcess;
  beforeAll(async () => {
    config = await testConfig();
    [s, worker] = await Promise.all([startApp(config), startWorker(config)]);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await s?.app.close();
    await s?.closeDeps();
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const submit = async (body: object) => {
    const res = await fetch(`${s.base}/v1/training-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hiddenLayers: [32], ...body }),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as TrainingJob;
  };
  const events = (id: string, lastEventId?: string) =>
    connectSse(`${s.base}/v1/training-jobs/${id}/events`, lastEventId ? { 'last-event-id': lastEventId } : {});
  const getJob = async (id: string) => (await (await fetch(`${s.base}/v1/training-jobs/${id}`)).json()) as TrainingJob;

  let done: { job: TrainingJob; events: SseEvent[] };

  it('sends running, each epoch, then the completed job, in order, and ends', async () => {
    const job = await submit({ epochs: 2, seed: 3 });
    const all = await (await events(job.id)).rest();
    const names = all.map((e) => e.event);
    // The snapshot may already find it running; either way it runs before its first epoch.
    expect(names.slice(-4)).toEqual(['state', 'progress', 'progress', 'completed']);
    expect(all.at(-4)!.data).toEqual({ state: 'running' });
    expect(names.slice(0, -4).every((n) => n === 'state')).toBe(true);
    expect(epochs(all)).toEqual([1, 2]);
    const final = await getJob(job.id);
    expect(final.state).toBe('completed');
    expect(all.at(-1)!.data).toEqual(final);
    expect(all.at(-2)!.data).toEqual(final.progress);
    // The worker's result carries the test split's confusion matrix (mnist-sample: 2,000 test images).
    const matrix = final.metrics!.confusionMatrix!;
    expect(matrix.flat().reduce((sum, v) => sum + v, 0)).toBe(2000);
    expect(matrix.reduce((sum, row, k) => sum + row[k]!, 0) / 2000).toBeCloseTo(final.metrics!.testAccuracy, 10);
    const ids = all.map((e) => e.id!);
    expect(ids.every((id) => STREAM_ID.test(id))).toBe(true);
    for (let i = 1; i < ids.length; i++) expect(compareIds(ids[i]!, ids[i - 1]!)).toBeGreaterThanOrEqual(0);
    await waitFor(async () => (s.deps.jobEvents.subscriberCount() === 0 ? true : undefined), 10_000, 20);
    done = { job: final, events: all };
  }, 120_000);

  it('a reconnect with Last-Event-ID gets only what came after it; after the end, a 204', async () => {
    const firstEpoch = done.events.find((e) => e.event === 'progress')!;
    const rest = await (await events(done.job.id, firstEpoch.id)).rest();
    expect(rest).toEqual(done.events.slice(-2)); // epoch 2 and the completed job, same ids
    const after = await events(done.job.id, done.events.at(-1)!.id);
    expect(after.status).toBe(204);
  });

  it('a client that drops mid-training and reconnects misses nothing and sees nothing twice', async () => {
    const job = await submit({ epochs: 3, seed: 4 });
    const first = await events(job.id);
    const epoch1 = await nextOf(first, 'progress');
    first.abort();
    const rest = await (await events(job.id, epoch1.id)).rest();
    expect(epochs([epoch1, ...rest])).toEqual([1, 2, 3]);
    expect(rest.at(-1)!.event).toBe('completed');
    expect(new Set(rest.map((e) => e.id)).size).toBe(rest.length);
    expect(rest.every((e) => compareIds(e.id!, epoch1.id!) > 0)).toBe(true);
  }, 120_000);

  it('cancelling a running job ends its stream with `cancelled`', async () => {
    const job = await submit({ epochs: 50, seed: 5 });
    const sse = await events(job.id);
    await nextOf(sse, 'progress');
    const res = await fetch(`${s.base}/v1/training-jobs/${job.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(202);
    const rest = await sse.rest();
    const final = rest.at(-1)!;
    expect(final.event).toBe('cancelled');
    expect(final.data).toEqual(await getJob(job.id));
    expect((final.data as TrainingJob).state).toBe('cancelled');
    expect(rest.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);
    await waitFor(async () => (s.deps.jobEvents.subscriberCount() === 0 ? true : undefined), 10_000, 20);
  }, 120_000);
});
