import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelMetadata } from '../../src/models/store.js';
import { expectError, multipart } from '../helpers/http.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { DIGITS, storeTrainedModel, syntheticPng } from '../helpers/model.js';
import { waitFor } from '../helpers/processes.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';

/**
 * Redis stops answering, refuses writes, dies under a running API and comes back: routes that
 * need it answer 503 with Retry-After at once, the rest keep serving, and the API recovers
 * without a restart. The steps run in order; each depends on the state the previous one left.
 */
describe('a Redis outage', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  let model: ModelMetadata;
  let jobId: string;
  let datasetId: string;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await buildTestApp({ REDIS_URL: redis.url });
    model = await storeTrainedModel(t.deps);
    // One prediction by default while Redis answers: the replica has then resolved the tenant's
    // model, and keeps answering with it while the registry cannot be read.
    const warm = await t.app.inject({
      method: 'POST',
      url: '/v1/predict',
      headers: { 'content-type': 'image/png' },
      payload: syntheticPng(3, 500),
    });
    expect(warm.statusCode).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await redis?.kill();
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const postJob = (payload: object = { epochs: 1 }) =>
    t.app.inject({ method: 'POST', url: '/v1/training-jobs', payload });
  const expectUnavailable = (res: Awaited<ReturnType<typeof get>>) => {
    expectError(res, 503, 'REDIS_UNAVAILABLE', /Redis/);
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  };

  it('works before the outage', async () => {
    const created = await postJob();
    expect(created.statusCode).toBe(202);
    jobId = created.json().id;
    const form = await multipart(Object.entries({ name: 'outage', ...makeIdxFiles(20, 10) }), {
      filename: (n) => `${n}.idx`,
    });
    const upload = await t.app.inject({ method: 'POST', url: '/v1/datasets', ...form });
    expect(upload.statusCode).toBe(201);
    datasetId = upload.json().id;
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', redis: 'ok', storage: 'ok', backend: 'wasm' });
  });

  describe('while Redis holds its connections but does not answer (paused)', () => {
    beforeAll(() => redis.pause());
    afterAll(() => redis.resume());

    // Without a command timeout these requests never end; the test timeout is the hang detector.
    it('job routes and /readyz answer 503 instead of hanging; the rest keeps serving', async () => {
      const [created, listed, ready, health, models] = await Promise.all([
        postJob({ name: 'during the pause' }),
        get('/v1/training-jobs'),
        get('/readyz'),
        get('/healthz'),
        get('/v1/models'),
      ]);
      expectUnavailable(created);
      expectUnavailable(listed);
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'unavailable', redis: 'unreachable', storage: 'ok', backend: 'wasm' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: 'ok' });
      expect(models.statusCode).toBe(200);
      expect(models.json().items.map((m: ModelMetadata) => m.id)).toEqual([model.id]);
    }, 10_000);
  });

  describe('while Redis refuses writes (maxmemory reached)', () => {
    let admin: Redis;
    beforeAll(async () => {
      admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      await waitFor(async () => ((await get('/readyz')).statusCode === 200 ? true : undefined), 30_000);
      await admin.config('SET', 'maxmemory', '1');
    });
    afterAll(async () => {
      await admin.config('SET', 'maxmemory', '0');
      admin.disconnect();
    });

    it('creating a job answers 503; reading jobs still works', async () => {
      expectUnavailable(await postJob({ name: 'out of memory' }));
      const job = await get(`/v1/training-jobs/${jobId}`);
      expect(job.statusCode).toBe(200);
      expect(job.json()).toMatchObject({ id: jobId, state: 'queued' });
    });
  });

  describe('while Redis is down (killed)', () => {
    beforeAll(() => redis.kill());

    it('job routes answer 503 REDIS_UNAVAILABLE with Retry-After, and create nothing', async () => {
      expectUnavailable(await postJob());
      expectUnavailable(await postJob({ name: 'second try' }));
      expectUnavailable(await get('/v1/training-jobs'));
      expectUnavailable(await get(`/v1/training-jobs/${jobId}`));
      expectUnavailable(await get('/v1/training-jobs/no-such-job'));
    });

    it('deleting an uploaded dataset answers 503 (job usage cannot be checked) and keeps it', async () => {
      expectUnavailable(await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${datasetId}` }));
      const after = await get(`/v1/datasets/${datasetId}`);
      expect(after.statusCode).toBe(200);
      expect(after.json()).toMatchObject({ id: datasetId, name: 'outage', builtin: false });
    });

    it('/readyz answers 503 and /healthz 200', async () => {
      const ready = await get('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'unavailable', redis: 'unreachable', storage: 'ok', backend: 'wasm' });
      const health = await get('/healthz');
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: 'ok' });
    });

    it('models, datasets and predictions keep working', async () => {
      const models = await get('/v1/models');
      expect(models.statusCode).toBe(200);
      expect(models.json().items.map((m: ModelMetadata) => m.id)).toEqual([model.id]);
      const one = await get(`/v1/models/${model.id}`);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ id: model.id, name: model.name });

      const datasets = await get('/v1/datasets');
      expect(datasets.statusCode).toBe(200);
      expect(datasets.json().items.map((d: { id: string }) => d.id)).toEqual(
        expect.arrayContaining(['mnist-sample', datasetId]),
      );

      const predicted = await t.app.inject({
        method: 'POST',
        url: '/v1/predict',
        headers: { 'content-type': 'image/png' },
        payload: syntheticPng(3, 500),
      });
      expect(predicted.statusCode, predicted.body).toBe(200);
      const body = predicted.json();
      expect(body.modelId).toBe(model.id);
      expect(body.predictions).toHaveLength(1);
      expect(body.predictions[0]).toMatchObject({ class: 3, label: DIGITS[3] });
    });
  });

  describe('when Redis is back', () => {
    beforeAll(() => redis.start());

    it('/readyz turns 200 by itself and jobs are accepted again', async () => {
      const ready = await waitFor(async () => {
        const res = await get('/readyz');
        return res.statusCode === 200 ? res : undefined;
      }, 30_000);
      expect(ready.json()).toEqual({ status: 'ready', redis: 'ok', storage: 'ok', backend: 'wasm' });

      const created = await postJob({ epochs: 2, name: 'after the outage' });
      expect(created.statusCode).toBe(202);
      const job = created.json();
      expect(job).toMatchObject({ name: 'after the outage', state: 'queued', params: { epochs: 2 } });
      const fetched = await get(`/v1/training-jobs/${job.id}`);
      expect(fetched.statusCode).toBe(200);
      expect(fetched.json()).toEqual(job);
      // The restarted Redis kept nothing (no persistence): the list holds only the new job.
      const list = await get('/v1/training-jobs');
      expect(list.statusCode).toBe(200);
      expect(list.json().items.map((j: { id: string }) => j.id)).toEqual([job.id]);
    });

    it('an uploaded dataset no job uses can be deleted again', async () => {
      const res = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${datasetId}` });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
    });
  });
});
