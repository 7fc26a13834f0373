import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { multipart } from '../helpers/http.js';
import { syntheticPng } from '../helpers/model.js';
import { freePort } from '../helpers/net.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';
import { startRedisCluster, type RedisClusterTopology } from '../helpers/redis-topologies.js';
import { connectSse } from '../helpers/sse.js';

const A = 'cluster-a-key-0123456789abcdef';
const B = 'cluster-b-key-0123456789abcdef';

/**
 * The integration path of one Redis, against a Redis Cluster of three primaries with a replica
 * each: real API and worker processes given `redis+cluster://`, two tenants, a job followed to
 * its model, a replay, cancels. Every key the service and BullMQ wrote sits in the hash tag's one
 * slot. Last, that slot's primary is killed while a job trains: its replica takes over.
 */
describe('the service on a Redis Cluster', () => {
  let cluster: RedisClusterTopology;
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;

  const call = async (key: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) },
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, unknown> };
  };
  const submit = (key: string, body: object, idempotencyKey?: string) =>
    call(key, '/v1/training-jobs', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: JSON.stringify(body),
    });
  const job = async (key: string, id: string) =>
    (await call(key, `/v1/training-jobs/${id}`)).body as unknown as TrainingJob;

  const clusterClient = () => new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));

  beforeAll(async () => {
    cluster = await startRedisCluster(3, 1);
    const c = await testConfig({
      REDIS_URL: cluster.url,
      QUEUE_PREFIX: `{ty-test-${randomBytes(4).toString('hex')}}`,
      API_KEYS: `${A}:train+predict:team-a,${B}:train+predict:team-b`,
    });
    config = { ...c, PORT: await freePort() };
    base = `http://127.0.0.1:${config.PORT}`;
    [api, worker] = await Promise.all([startApi(config), startWorker(config)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await cluster?.stop();
    if (config) await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it('logs the cluster it uses', () => {
    const line = api
      .output()
      .split('\n')
      .find((l) => l.includes('redis reachable'))!;
    expect(JSON.parse(line).redis).toMatchObject({ mode: 'cluster', nodes: cluster.url.slice(16).split(',') });
    expect(cluster.nodes).toHaveLength(6);
  });

  it('trains, streams events, predicts, replays an idempotent submit and keeps tenants apart', async () => {
    const { headers, payload } = await multipart([['name', 'tiny'], ...Object.entries(makeIdxFiles(300, 50))]);
    const upload = await call(A, '/v1/datasets', { method: 'POST', headers, body: new Uint8Array(payload) });
    expect(upload.status).toBe(201);
    const dataset = upload.body.id as string;
    const spec = { dataset, epochs: 3, batchSize: 16, seed: 5 };

    const first = await submit(A, spec, 'cluster-submit-1');
    expect(first.status).toBe(202);
    const id = first.body.id as string;
    const replay = await submit(A, spec, 'cluster-submit-1');
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(id);
    // The same key from another tenant is another job.
    const other = await submit(B, { epochs: 1, batchSize: 16, dataset: 'mnist-sample' }, 'cluster-submit-1');
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(id);

    const stream = await connectSse(`${base}/v1/training-jobs/${id}/events`, { authorization: `Bearer ${A}` });
    expect(stream.status).toBe(200);
    const events = await stream.rest();
    const progress = events.filter((e) => e.event === 'progress').map((e) => (e.data as { epoch: number }).epoch);
    expect(progress).toEqual([1, 2, 3]);
    const last = events.at(-1)!;
    expect(last.event).toBe('completed');
    const done = last.data as TrainingJob;
    expect(done.state).toBe('completed');
    expect(done.progress.history.map((h) => h.epoch)).toEqual([1, 2, 3]);

    const png = { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(syntheticPng(3)) };
    const predicted = await call(A, `/v1/models/${done.modelId}/predict`, png);
    expect(predicted.status).toBe(200);
    expect((predicted.body.predictions as { probabilities: number[] }[])[0]!.probabilities).toHaveLength(10);

    // Another tenant's job, events and model answer as missing ones do.
    expect((await call(B, `/v1/training-jobs/${id}`)).status).toBe(404);
    expect((await call(B, `/v1/training-jobs/${id}/events`)).status).toBe(404);
    expect((await call(B, `/v1/models/${done.modelId}/predict`, png)).status).toBe(404);
    const listA = (await call(A, '/v1/training-jobs')).body.items as { id: string }[];
    expect(listA.map((j) => j.id)).toEqual([id]);
    const listB = (await call(B, '/v1/training-jobs')).body.items as { id: string }[];
    expect(listB.map((j) => j.id)).toEqual([other.body.id]);
    const doneB = await waitFor(async () => {
      const j = await job(B, other.body.id as string);
      return j.state === 'completed' || j.state === 'failed' ? j : undefined;
    }, 120_000);
    expect(doneB.state).toBe('completed');
  });

  it('cancels a running job and a queued one', async () => {
    const { headers, payload } = await multipart([['name', 'long'], ...Object.entries(makeIdxFiles(300, 50))]);
    const dataset = (await call(A, '/v1/datasets', { method: 'POST', headers, body: new Uint8Array(payload) })).body
      .id as string;
    const running = (await submit(A, { dataset, epochs: 100, batchSize: 8 })).body.id as string;
    const queued = (await submit(A, { dataset, epochs: 1, batchSize: 8 })).body.id as string;
    await waitFor(async () => ((await job(A, running)).state === 'running' ? true : undefined), 60_000);
    expect((await call(A, `/v1/training-jobs/${queued}/cancel`, { method: 'POST' })).status).toBe(202);
    expect((await job(A, queued)).state).toBe('cancelled');
    expect((await call(A, `/v1/training-jobs/${running}/cancel`, { method: 'POST' })).status).toBe(202);
    const stopped = await waitFor(async () => {
      const j = await job(A, running);
      return j.state === 'running' ? undefined : j;
    }, 60_000);
    expect(stopped.state).toBe('cancelled');
    expect(stopped.modelId).toBeNull();
  });

  it('wrote every key of the queue and of the service in the hash tag slot', async () => {
    const client = new Cluster(
      cluster.url
        .slice(16)
        .split(',')
        .map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })),
    );
    try {
      await waitFor(async () => (client.status === 'ready' ? true : undefined), 10_000);
      const keys: string[] = [];
      for (const node of client.nodes('master')) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', `${config.QUEUE_PREFIX}*`, 'COUNT', 1000);
          keys.push(...found);
          cursor = next;
        } while (cursor !== '0');
      }
      // Jobs, events, idempotency, tenant indexes, cancel records, tombstones, rate limits...
      expect(keys.length).toBeGreaterThan(15);
      expect(keys).toContain(`${config.QUEUE_PREFIX}:training:events`);
      expect(keys.some((k) => k.includes(':tenant:team-a:'))).toBe(true);
      expect(keys.some((k) => k.includes(':cancel'))).toBe(true);
      const slots = new Set(await Promise.all(keys.map((k) => client.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
    } finally {
      client.disconnect();
    }
  });

  it("survives the loss of the slot's primary while a job trains", async () => {
    const client = clusterClient();
    let port: number;
    try {
      await waitFor(async () => (client.status === 'ready' ? true : undefined), 10_000);
      const slot = await client.cluster('KEYSLOT', `${config.QUEUE_PREFIX}:training:events`);
      const ranges = await client.cluster('SLOTS');
      port = ranges.find(([from, to]) => from <= slot && slot <= to)![2]![1];
    } finally {
      client.disconnect();
    }
    const { headers, payload } = await multipart([['name', 'failover'], ...Object.entries(makeIdxFiles(2000, 100))]);
    const dataset = (await call(A, '/v1/datasets', { method: 'POST', headers, body: new Uint8Array(payload) })).body
      .id as string;
    const id = (await submit(A, { dataset, epochs: 5, batchSize: 8, seed: 3 })).body.id as string;
    await waitFor(async () => ((await job(A, id)).progress.epoch >= 1 ? true : undefined), 60_000, 50);

    const statuses: { at: number; status: number; retryAfter: string | null }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        // A request that gets no answer at all is recorded as status 0, which fails the test below.
        const res = await fetch(`${base}/v1/training-jobs/${id}`, {
          headers: { authorization: `Bearer ${A}` },
          signal: AbortSignal.timeout(5000),
        }).catch(() => undefined);
        await res?.arrayBuffer().catch(() => undefined);
        statuses.push({
          at: Date.now(),
          status: res?.status ?? 0,
          retryAfter: res?.headers.get('retry-after') ?? null,
        });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await cluster.nodes.find((n) => n.port === port)!.kill();
    const done = await waitFor(
      async () => {
        const res = await call(A, `/v1/training-jobs/${id}`);
        const state = res.status === 200 ? (res.body.state as string) : undefined;
        return state === 'completed' || state === 'failed' ? (res.body as unknown as TrainingJob) : undefined;
      },
      150_000,
      200,
    );
    polling = false;
    await poller;
    expect([done.state, done.error]).toEqual(['completed', null]);
    expect(done.progress.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(statuses.every((s) => s.status === 200 || (s.status === 503 && s.retryAfter === '5'))).toBe(true);
    const first503 = statuses.find((s) => s.status === 503);
    if (first503) {
      const back = statuses.find((s) => s.at > first503.at && s.status === 200)!;
      console.log(`cluster primary lost: blackout ${back.at - first503.at} ms (first 503 to first 200)`);
    }
    expect(statuses.at(-1)!.status).toBe(200);
    // Its own budget: a failover on a loaded machine outlasts the default test timeout.
  }, 240_000);
});
