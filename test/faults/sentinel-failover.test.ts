import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { multipart } from '../helpers/http.js';
import { freePort } from '../helpers/net.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';
import { startSentinelTopology, type SentinelTopology } from '../helpers/redis-topologies.js';

const DATA_PASSWORD = 'data-node-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';

interface Answer {
  at: number;
  status: number;
  retryAfter: string | null;
}

/**
 * A Sentinel failover under load: the primary is killed with -9 while one job trains and two
 * wait. Sentinel promotes the replica; the API answers 503 with Retry-After meanwhile and
 * recovers by itself, and every job completes once, with one model each.
 */
describe('a Sentinel failover while jobs train', { timeout: 180_000 }, () => {
  let topology: SentinelTopology;
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;

  beforeAll(async () => {
    // Passwords on the data nodes and on the sentinels, each given its own way.
    topology = await startSentinelTopology({ password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
    const c = await testConfig({
      REDIS_URL: topology.url.replace('redis+sentinel://', `redis+sentinel://:${DATA_PASSWORD}@`),
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
      JOB_LOCK_MS: '5000',
      STALLED_CHECK_MS: '1000',
    });
    config = { ...c, PORT: await freePort() };
    base = `http://127.0.0.1:${config.PORT}`;
    [api, worker] = await Promise.all([startApi(config), startWorker(config)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop('SIGKILL')]);
    await topology?.stop();
    if (config) await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const getJob = async (id: string) => (await (await fetch(`${base}/v1/training-jobs/${id}`)).json()) as TrainingJob;

  it('keeps the running job and the queued ones, answers 503 during the blackout, recovers', async () => {
    const line = api
      .output()
      .split('\n')
      .find((l) => l.includes('redis reachable'))!;
    expect(JSON.parse(line).redis).toMatchObject({ mode: 'sentinel', master: 'mymaster' });
    expect(api.output() + worker.output()).not.toContain(DATA_PASSWORD);
    expect(api.output() + worker.output()).not.toContain(SENTINEL_PASSWORD);

    const { headers, payload } = await multipart([['name', 'failover'], ...Object.entries(makeIdxFiles(2000, 100))]);
    const upload = await fetch(`${base}/v1/datasets`, { method: 'POST', headers, body: new Uint8Array(payload) });
    expect(upload.status).toBe(201);
    const dataset = ((await upload.json()) as { id: string }).id;
    const ids: string[] = [];
    for (const epochs of [6, 2, 2]) {
      const res = await fetch(`${base}/v1/training-jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataset, epochs, batchSize: 8, seed: 11 }),
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    await waitFor(
      async () => {
        const j = await getJob(ids[0]!);
        return j.state === 'running' && j.progress.epoch >= 1 ? true : undefined;
      },
      60_000,
      50,
    );
    expect((await getJob(ids[1]!)).state).toBe('queued');

    // A client polling throughout: each answer's status, never a hang (a 5 s deadline) or a 500.
    const answers: Answer[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`${base}/v1/training-jobs/${ids[0]}`, { signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        answers.push({ at: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after') });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const killedAt = Date.now();
    await topology.primary.kill();

    const finished = await Promise.all(
      ids.map((id) =>
        waitFor(
          async () => {
            const j = await fetch(`${base}/v1/training-jobs/${id}`);
            if (j.status !== 200) return undefined;
            const job = (await j.json()) as TrainingJob;
            return job.state === 'completed' || job.state === 'failed' ? job : undefined;
          },
          150_000,
          200,
        ),
      ),
    );
    polling = false;
    await poller;

    expect(await topology.currentPrimaryPort()).toBe(topology.replica.port);
    expect(finished.map((j) => [j.state, j.error])).toEqual([
      ['completed', null],
      ['completed', null],
      ['completed', null],
    ]);
    expect(finished.map((j) => j.progress.history.map((h) => h.epoch))).toEqual([
      [1, 2, 3, 4, 5, 6],
      [1, 2],
      [1, 2],
    ]);

    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200, 503]));
    for (const a of answers.filter((x) => x.status === 503)) expect(a.retryAfter).toBe('5');
    const first503 = answers.find((a) => a.status === 503)!;
    const recovered = answers.find((a) => a.at > first503.at && a.status === 200)!;
    expect(recovered).toBeDefined();
    console.log(
      `sentinel failover: blackout ${recovered.at - first503.at} ms (first 503 to first 200), ` +
        `${first503.at - killedAt} ms after kill -9 of the primary`,
    );

    // One model per job, and BullMQ recorded each job's completion once.
    const models = (await (await fetch(`${base}/v1/models`)).json()) as { items: { jobId: string }[] };
    expect(models.items.map((m) => m.jobId).sort()).toEqual([...ids].sort());
    const redis = new Redis({ port: topology.replica.port, host: '127.0.0.1', password: DATA_PASSWORD });
    try {
      const entries = await redis.xrange(`${config.QUEUE_PREFIX}:training:events`, '-', '+');
      const completions = entries
        .map(([, fields]) => fields)
        .filter((f) => f[f.indexOf('event') + 1] === 'completed')
        .map((f) => f[f.indexOf('jobId') + 1]);
      expect(completions.sort()).toEqual([...ids].sort());
    } finally {
      redis.disconnect();
    }
  });
});
