import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { storeTrainedModel, syntheticPng } from '../../helpers/model.js';
import { expectError } from '../../helpers/http.js';
import { promSample as sample } from '../../helpers/net.js';
import { nativeUnavailable } from '../../../src/native/addon.js';

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Predictions on TensorFlow.js, whose tensors the gauges count (the addon holds none).
    t = await buildTestApp({ INFERENCE_BACKEND: 'tfjs' });
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body;
  };

  /** Stores a new model and returns a function that predicts synthetic digit `k` with it. */
  const newModelPredictor = async (k: number) => {
    const model = await storeTrainedModel(t.deps, { trainCount: 50, testCount: 10, params: { epochs: 1 } });
    return () =>
      t.app.inject({
        method: 'POST',
        url: `/v1/models/${model.id}/predict`,
        payload: syntheticPng(k),
        headers: { 'content-type': 'image/png' },
      });
  };

  it("serves Node's process metrics", async () => {
    const text = await scrape();
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('times requests by route template, method and status', async () => {
    const series = 'http_request_duration_seconds_count{method="GET",route="/v1/training-jobs/:id",status_code="404"}';
    const before = sample(await scrape(), series) ?? 0;
    await t.app.inject({ url: '/v1/training-jobs/nope-1' });
    await t.app.inject({ url: '/v1/training-jobs/nope-2' });
    const text = await scrape();
    expect(sample(text, series)).toBe(before + 2);
    expect(text).not.toContain('nope-1');
  });

  it('counts jobs by state from the queue', async () => {
    const before = sample(await scrape(), 'trainyard_jobs{state="queued"}') ?? 0;
    const res = await t.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: { epochs: 1 } });
    expect(res.statusCode).toBe(202);
    expect(sample(await scrape(), 'trainyard_jobs{state="queued"}')).toBe(before + 1);
    await t.app.inject({ method: 'POST', url: `/v1/training-jobs/${res.json<{ id: string }>().id}/cancel` });
    const text = await scrape();
    expect(sample(text, 'trainyard_jobs{state="queued"}')).toBe(before);
    expect(sample(text, 'trainyard_jobs{state="cancelled"}')).toBe(1);
  });

  it('records predict batch sizes and model cache misses and hits', async () => {
    const predict = await newModelPredictor(2);
    expect((await predict()).statusCode).toBe(200);
    expect((await predict()).statusCode).toBe(200);
    const text = await scrape();
    expect(sample(text, 'trainyard_model_cache_misses_total')).toBe(1);
    expect(sample(text, 'trainyard_model_cache_hits_total')).toBe(1);
    expect(sample(text, 'trainyard_predict_batch_size_count')).toBe(2);
    expect(sample(text, 'trainyard_predict_batch_size_sum')).toBe(2);
  });

  it('counts live tensors: a loaded model adds its weights once, predictions add none', async () => {
    const predict = await newModelPredictor(4);
    const before = sample(await scrape(), 'trainyard_tensors')!;
    expect((await predict()).statusCode).toBe(200);
    const loaded = sample(await scrape(), 'trainyard_tensors')!;
    // One hidden layer of 32: two kernels and two biases.
    expect(loaded).toBe(before + 4);
    const responses = await Promise.all(Array.from({ length: 40 }, predict));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(40).fill(200));
    const text = await scrape();
    expect(sample(text, 'trainyard_tensors')).toBe(loaded);
    expect(sample(text, 'trainyard_tensor_bytes')).toBeGreaterThan(784 * 32 * 4);
  });
});

describe.skipIf(nativeUnavailable())('GET /metrics with predictions on the addon', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ INFERENCE_BACKEND: 'native' });
  });
  afterAll(() => t.close());

  it('counts no tensors for a model the addon runs', async () => {
    const tensors = async () => sample((await t.app.inject({ url: '/metrics' })).body, 'trainyard_tensors')!;
    const model = await storeTrainedModel(t.deps, { trainCount: 50, testCount: 10, params: { epochs: 1 } });
    const before = await tensors();
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/models/${model.id}/predict`,
      payload: syntheticPng(4),
      headers: { 'content-type': 'image/png' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ predictions: { probabilities: number[] }[] }>().predictions[0]!.probabilities).toHaveLength(10);
    expect(await tensors()).toBe(before);
  });
});

describe('GET /metrics with METRICS_KEY', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ METRICS_KEY: 'scrape-secret-123' });
  });
  afterAll(() => t.close());

  it('needs the key', async () => {
    expectError(await t.app.inject({ url: '/metrics' }), 401, 'UNAUTHORIZED', /METRICS_KEY/);
    const wrong = await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-secret-12' } });
    expect(wrong.statusCode).toBe(401);
    const right = await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-secret-123' } });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('http_request_duration_seconds');
  });
});

describe('GET /metrics with API keys and no METRICS_KEY', () => {
  const TRAIN = 'team-a-train-key-aaaaaaaa';
  const ADMIN = 'operator-admin-key-bbbbbbb';
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ API_KEYS: `${TRAIN}:train:team-a,${ADMIN}:admin:ops` });
  });
  afterAll(() => t.close());

  it("needs an admin key: a tenant's key would read every tenant's activity", async () => {
    expectError(await t.app.inject({ url: '/metrics' }), 401, 'UNAUTHORIZED', /metrics need an admin key/);
    const tenant = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TRAIN}` } });
    expect(tenant.statusCode).toBe(401);
    const admin = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(admin.statusCode).toBe(200);
    expect(admin.body).toContain('http_request_duration_seconds');
  });
});
