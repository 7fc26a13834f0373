import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from '../../../src/app.js';
import type { Config } from '../../../src/config.js';
import { STREAM_ID, compareIds } from '../../../src/queue/job-events.js';
import { finalEventId } from '../../../src/queue/job-feed.js';
import { createApiDeps } from '../../../src/runtime.js';
import { keyringFromConfig } from '../../../src/api/api-keys.js';
import type { TrainingJob } from '../../../src/schemas/job.js';
import { testConfig } from '../../helpers/app.js';
import { startWorker, waitFor, type RunningProcess } from '../../helpers/processes.js';
import { connectSse, type SseConnection, type SseEvent } from '../../helpers/sse.js';
import { expectError } from '../../helpers/http.js';

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

/** A progress event sent within an epoch (about once a second), as opposed to one at its end. */
const withinEpoch = (e: SseEvent) => e.event === 'progress' && (e.data as { current?: unknown }).current !== undefined;
/** The events but those within an epoch, whose number depends on how fast the machine trains. */
const epochEnds = (events: SseEvent[]) => events.filter((e) => !withinEpoch(e));

async function nextOf(sse: SseConnection, name: string): Promise<SseEvent> {
  for (let e = await sse.next(); e; e = await sse.next()) if (e.event === name && !withinEpoch(e)) return e;
  throw new Error(`the stream ended before a "${name}" event`);
}

const epochs = (events: SseEvent[]) =>
  epochEnds(events)
    .filter((e) => e.event === 'progress')
    .map((e) => (e.data as { epoch: number }).epoch);

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
    const streamed = await (await events(job.id)).rest();
    for (const e of streamed.filter(withinEpoch)) {
      const { samples, samplesTotal } = (e.data as { current: { samples: number; samplesTotal: number } }).current;
      expect(samples).toBeLessThanOrEqual(samplesTotal);
    }
    const all = epochEnds(streamed);
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

  it('a reconnect to a finished job before its end gets the final event alone; after the end, a 204', async () => {
    const firstEpoch = done.events.find((e) => e.event === 'progress')!;
    const rest = await (await events(done.job.id, firstEpoch.id)).rest();
    // The completed job, with the id it had live: its progress holds every epoch.
    expect(rest).toEqual(done.events.slice(-1));
    expect((rest[0]!.data as TrainingJob).progress.history.map((h) => h.epoch)).toEqual([1, 2]);
    for (const lastEventId of [done.events.at(-1)!.id!, '99999999999999999999-0']) {
      expect((await events(done.job.id, lastEventId)).status).toBe(204);
    }
  });

  it('a client that drops mid-training and reconnects misses nothing and sees nothing twice', async () => {
    const job = await submit({ epochs: 3, seed: 4 });
    const first = await events(job.id);
    const epoch1 = await nextOf(first, 'progress');
    first.abort();
    const rest = await (await events(job.id, epoch1.id)).rest();
    const final = rest.at(-1)!;
    expect(final.event).toBe('completed');
    // Epochs come as events while the job runs; one that finished meanwhile sends its final job alone.
    const seen = epochs([epoch1, ...rest]);
    const history = (final.data as TrainingJob).progress.history.map((h) => h.epoch);
    expect(history).toEqual([1, 2, 3]);
    expect(seen).toEqual(history.slice(0, seen.length));
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

describe('GET /v1/training-jobs/:id/events: open streams per key and in all', () => {
  const KEYS = { a: 'stream-key-aaaaaaaaaaaaaaaa', b: 'stream-key-bbbbbbbbbbbbbbbb', c: 'stream-key-cccccccccccccccc' };
  let config: Config;
  let s: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    config = await testConfig({
      API_KEYS: Object.values(KEYS)
        .map((k) => `${k}:train`)
        .join(','),
      MAX_EVENT_STREAMS_PER_KEY: '2',
      MAX_EVENT_STREAMS: '3',
    });
    s = await startApp(config);
  });
  afterAll(async () => {
    const closed = s.app.close();
    // fetch leaves a spare connection or two that never carried a request: close() would wait a minute on them.
    s.app.server.closeAllConnections();
    await closed;
    await s.closeDeps();
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const queue = async (key = KEYS.c) => {
    const res = await s.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: {}, headers: auth(key) });
    return res.json<TrainingJob>();
  };
  const url = (id: string) => `${s.base}/v1/training-jobs/${id}/events`;
  const open = (id: string, key: string, headers: Record<string, string> = {}) =>
    connectSse(url(id), { ...auth(key), ...headers });
  /** A stream refused before it starts: status, Retry-After and the error body. */
  const refused = async (id: string, key: string) => {
    const res = await fetch(url(id), { headers: auth(key) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  };
  /** Opens `n` streams of `key`, waiting while the server still counts streams that have just ended. */
  const openWhenFree = async (id: string, key: string, n: number) => {
    const streams: SseConnection[] = [];
    for (let i = 0; i < n; i++) {
      streams.push(
        await waitFor(
          async () => {
            const sse = await open(id, key);
            if (sse.status === 200) return sse;
            sse.abort();
            return undefined;
          },
          10_000,
          20,
        ),
      );
    }
    return streams;
  };

  it('answers 429 TOO_MANY_STREAMS with Retry-After past the per-key and the total limit', async () => {
    const job = await queue();
    const mine = [await open(job.id, KEYS.a), await open(job.id, KEYS.a)];
    expect(mine.map((c) => c.status)).toEqual([200, 200]);
    const overKey = await refused(job.id, KEYS.a);
    expect(overKey).toEqual({
      status: 429,
      retryAfter: '10',
      body: {
        statusCode: 429,
        error: 'Too Many Requests',
        code: 'TOO_MANY_STREAMS',
        message: expect.stringMatching(/you already have 2 event streams open.*\(MAX_EVENT_STREAMS_PER_KEY is 2\)/),
      },
    });
    const other = await open(job.id, KEYS.b);
    expect(other.status).toBe(200);
    const overAll = await refused(job.id, KEYS.b);
    expect(overAll.status).toBe(429);
    expect(overAll.retryAfter).toBe('10');
    expect(overAll.body).toMatchObject({
      code: 'TOO_MANY_STREAMS',
      message: expect.stringMatching(/this server has 3 event streams open, its limit \(MAX_EVENT_STREAMS is 3\)/),
    });
    // The open streams carry on.
    expect((await mine[0]!.next())?.data).toEqual({ state: 'queued' });
    for (const c of [...mine, other]) c.abort();
    await openWhenFree(job.id, KEYS.a, 2).then((streams) => streams.forEach((c) => c.abort()));
  });

  it('gives a slot back when the client leaves, the job ends, or the request fails before a stream', async () => {
    const job = await queue();
    // Dropped by the client, at once, repeatedly.
    for (let i = 0; i < 5; i++) (await open(job.id, KEYS.a)).abort();
    const held = await openWhenFree(job.id, KEYS.a, 2);
    // Ended by the job: a cancel ends both streams.
    await s.app.inject({ method: 'POST', url: `/v1/training-jobs/${job.id}/cancel`, headers: auth(KEYS.c) });
    for (const c of held) expect((await c.rest()).at(-1)?.event).toBe('cancelled');
    // Refused before a stream: unknown job, bad Last-Event-ID, finished job answered 204, finished job answered in full.
    const done = (
      await s.app.inject({ url: `/v1/training-jobs/${job.id}`, headers: auth(KEYS.a) })
    ).json<TrainingJob>();
    for (let i = 0; i < 3; i++) {
      expect((await open('no-such-job', KEYS.a)).status).toBe(404);
      expect((await open(job.id, KEYS.a, { 'last-event-id': 'x' })).status).toBe(400);
      expect((await open(job.id, KEYS.a, { 'last-event-id': finalEventId(done) })).status).toBe(204);
      expect((await (await open(job.id, KEYS.a)).rest()).map((e) => e.event)).toEqual(['state', 'cancelled']);
    }
    // Every slot is free again, without waiting.
    const next = await queue();
    const again = [await open(next.id, KEYS.a), await open(next.id, KEYS.a)];
    expect(again.map((c) => c.status)).toEqual([200, 200]);
    again.forEach((c) => c.abort());
  });
});

describe('GET /v1/training-jobs/:id/events with a key moved to another tenant meanwhile', () => {
  const KEEP = 'team-a-kept-key-aaaaaaaaaa';
  const DROP = 'team-a-dropped-key-aaaaaaa';
  let config: Config;
  let s: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    config = await testConfig({ API_KEYS: `${KEEP}:train:team-a,${DROP}:train:team-a` });
    s = await startApp(config, { eventsHeartbeatMs: 50 });
  });
  afterAll(async () => {
    await s.app.close();
    await s.closeDeps();
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it("ends the moved key's stream at its next heartbeat and keeps the other's open", async () => {
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    const created = await s.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: {}, headers: auth(KEEP) });
    const job = created.json<TrainingJob>();
    const kept = await connectSse(`${s.base}/v1/training-jobs/${job.id}/events`, auth(KEEP));
    const dropped = await connectSse(`${s.base}/v1/training-jobs/${job.id}/events`, auth(DROP));
    expect([kept.status, dropped.status]).toEqual([200, 200]);
    expect((await dropped.next())?.event).toBe('state');
    // DROP moves to another tenant: not the caller that opened the stream any more.
    s.deps.keyring!.replace(
      keyringFromConfig({ API_KEYS: `${KEEP}:train:team-a,${DROP}:train:team-b`, API_KEYS_FILE: '' })!,
    );
    expect(await dropped.rest()).toEqual([]); // the server ended it
    expect((await kept.next())?.event).toBe('state');
    const pings = kept.comments.length;
    const pending = kept.next(); // reads on: heartbeats keep coming to the kept key
    await waitFor(async () => (kept.comments.length > pings + 2 ? true : undefined), 10_000, 20);
    const res = await s.app.inject({ url: `/v1/training-jobs/${job.id}`, headers: auth(DROP) });
    expect(res.statusCode).toBe(404); // team-b's key: team-a's job is not there
    kept.abort();
    expect(await pending).toBeUndefined();
  });
});
