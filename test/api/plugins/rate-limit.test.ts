import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { syntheticPng } from '../../helpers/model.js';
import { expectError } from '../../helpers/http.js';

const KEY_A = 'train-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'train-key-bbbbbbbbbbbbbbbb';

describe('rate limits', () => {
  const prefix = `ty-test-${randomBytes(4).toString('hex')}`;
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    const env = {
      QUEUE_PREFIX: prefix,
      API_KEYS: `${KEY_A}:train,${KEY_B}:train`,
      RATE_LIMIT_TRAIN_PER_MINUTE: '2',
      RATE_LIMIT_PREDICT_PER_MINUTE: '3',
    };
    // Two replicas on one Redis and prefix: the budgets are shared between them.
    one = await buildTestApp(env);
    two = await buildTestApp(env);
  });
  afterAll(async () => {
    await one.close();
    await two.close();
  });

  const submit = (t: TestApp, key: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/training-jobs',
      payload: { epochs: 1 },
      headers: { authorization: `Bearer ${key}` },
    });
  const predict = (t: TestApp, key: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: syntheticPng(3),
      headers: { authorization: `Bearer ${key}`, 'content-type': 'image/png' },
    });

  it('counts job submissions per key across replicas and answers 429 with Retry-After past the budget', async () => {
    const first = await submit(one, KEY_A);
    expect(first.statusCode).toBe(202);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    expect((await submit(two, KEY_A)).headers['x-ratelimit-remaining']).toBe('0');
    const refused = await submit(one, KEY_A);
    expectError(
      refused,
      429,
      'RATE_LIMITED',
      /2 train requests per minute \(RATE_LIMIT_TRAIN_PER_MINUTE\); retry in (\d+ seconds?|1 minute)/,
    );
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    // Another key has a budget of its own.
    expect((await submit(two, KEY_B)).statusCode).toBe(202);
  });

  it('keeps predictions on a budget of their own', async () => {
    // KEY_A's submissions are used up; its predictions are not.
    for (let i = 0; i < 3; i++) expect((await predict(i % 2 ? one : two, KEY_A)).statusCode).toBe(409);
    expectError(await predict(one, KEY_A), 429, 'RATE_LIMITED', /3 predict requests per minute/);
  });

  it('leaves reads unlimited when RATE_LIMIT_READ_PER_MINUTE is 0', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await one.app.inject({ url: '/v1/training-jobs', headers: { authorization: `Bearer ${KEY_A}` } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('budgets of a named tenant', () => {
  const prefix = `ty-test-${randomBytes(4).toString('hex')}`;
  const A1 = 'team-a-key-one-aaaaaaaaaa';
  const A2 = 'team-a-key-two-aaaaaaaaaa';
  const B = 'team-b-key-bbbbbbbbbbbbbb';
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      QUEUE_PREFIX: prefix,
      API_KEYS: `${A1}:train:team-a,${A2}:train:team-a,${B}:train:team-b`,
      RATE_LIMIT_TRAIN_PER_MINUTE: '3',
    });
  });
  afterAll(() => t.close());
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  it("share one budget across the tenant's keys, and cancels and deletes draw on it", async () => {
    const first = await t.app.inject({
      method: 'POST',
      url: '/v1/training-jobs',
      payload: { epochs: 1 },
      headers: as(A1),
    });
    expect(first.statusCode).toBe(202);
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: { epochs: 1 }, headers: as(A2) }))
        .statusCode,
    ).toBe(202);
    const id = first.json<{ id: string }>().id;
    // The third change of team-a is its cancel; the fourth, by either key, is refused.
    expect(
      (await t.app.inject({ method: 'POST', url: `/v1/training-jobs/${id}/cancel`, headers: as(A2) })).statusCode,
    ).toBe(202);
    expectError(
      await t.app.inject({ method: 'DELETE', url: `/v1/training-jobs/${id}`, headers: as(A1) }),
      429,
      'RATE_LIMITED',
      /3 train requests per minute/,
    );
    expectError(
      await t.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: { epochs: 1 }, headers: as(A2) }),
      429,
      'RATE_LIMITED',
      /3 train requests per minute/,
    );
    // Another tenant's budget is untouched.
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: { epochs: 1 }, headers: as(B) }))
        .statusCode,
    ).toBe(202);
  });
});

describe('the read budget', () => {
  const prefix = `ty-test-${randomBytes(4).toString('hex')}`;
  let one: TestApp;
  let two: TestApp;
  let open: TestApp;
  beforeAll(async () => {
    const env = { QUEUE_PREFIX: prefix, API_KEYS: `${KEY_A}:train,${KEY_B}:train`, RATE_LIMIT_READ_PER_MINUTE: '4' };
    [one, two, open] = await Promise.all([
      buildTestApp(env),
      buildTestApp(env),
      buildTestApp({ QUEUE_PREFIX: prefix, RATE_LIMIT_READ_PER_MINUTE: '2' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close(), open.close()]);
  });

  const read = (t: TestApp, url: string, key?: string, method: 'GET' | 'HEAD' = 'GET') =>
    t.app.inject({ method, url, headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('counts GET and HEAD on /v1 per key across replicas, and answers 429 with Retry-After past it', async () => {
    const first = await read(one, '/v1/training-jobs', KEY_A);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('4');
    expect((await read(two, '/v1/models', KEY_A)).statusCode).toBe(200);
    expect((await read(one, '/v1/datasets', KEY_A, 'HEAD')).statusCode).toBe(200);
    expect((await read(two, '/v1/training-jobs/none', KEY_A)).statusCode).toBe(404);
    const refused = await read(one, '/v1/models', KEY_A);
    expectError(refused, 429, 'RATE_LIMITED', /4 read requests per minute \(RATE_LIMIT_READ_PER_MINUTE\); retry in/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another key reads on; submissions are on their own budget (off here).
    expect((await read(two, '/v1/models', KEY_B)).statusCode).toBe(200);
    const submit = await one.app.inject({
      method: 'POST',
      url: '/v1/training-jobs',
      payload: { epochs: 1 },
      headers: { authorization: `Bearer ${KEY_A}` },
    });
    expect(submit.statusCode).toBe(202);
  });

  it('counts an event stream once, when it opens', async () => {
    const job = (
      await one.app.inject({
        method: 'POST',
        url: '/v1/training-jobs',
        payload: { epochs: 1 },
        headers: { authorization: `Bearer ${KEY_B}` },
      })
    ).json<{ id: string }>();
    await one.app.inject({
      method: 'POST',
      url: `/v1/training-jobs/${job.id}/cancel`,
      headers: { authorization: `Bearer ${KEY_B}` },
    });
    // KEY_B has read once; a finished job's stream is answered in full and ends.
    const stream = await read(one, `/v1/training-jobs/${job.id}/events`, KEY_B);
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['x-ratelimit-remaining']).toBe('2');
    expect(stream.body).toContain('event: cancelled');
  });

  it('limits by client IP when the service runs open, and never limits health, metrics, docs or the dashboard', async () => {
    const from = (ip: string, url: string) => open.app.inject({ url, remoteAddress: ip });
    expect((await from('192.0.2.1', '/v1/models')).statusCode).toBe(200);
    expect((await from('192.0.2.1', '/v1/models')).statusCode).toBe(200);
    expectError(await from('192.0.2.1', '/v1/models'), 429, 'RATE_LIMITED', /2 read requests per minute/);
    expect((await from('192.0.2.2', '/v1/models')).statusCode).toBe(200);
    for (const url of ['/healthz', '/readyz', '/metrics', '/docs/json', '/', '/docs']) {
      for (let i = 0; i < 3; i++) expect((await from('192.0.2.1', url)).statusCode).not.toBe(429);
    }
  });
});

describe('queued jobs per caller', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ MAX_QUEUED_JOBS_PER_KEY: '2' });
  });
  afterAll(() => t.close());

  const submit = () => t.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: { epochs: 1 } });

  it('refuses a third queued job with 429 until one leaves the queue', async () => {
    const a = await submit();
    expect(a.statusCode).toBe(202);
    expect((await submit()).statusCode).toBe(202);
    expectError(await submit(), 429, 'TOO_MANY_QUEUED_JOBS', /already have 2 jobs waiting in the queue/);
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/v1/training-jobs/${a.json<{ id: string }>().id}/cancel`,
    });
    expect(cancel.statusCode).toBe(202);
    expect((await submit()).statusCode).toBe(202);
    expect((await submit()).statusCode).toBe(429);
  });

  it('answers a repeated Idempotency-Key with its job even at the limit', async () => {
    const t2 = await buildTestApp({ MAX_QUEUED_JOBS_PER_KEY: '1' });
    try {
      const send = () =>
        t2.app.inject({
          method: 'POST',
          url: '/v1/training-jobs',
          payload: { epochs: 1 },
          headers: { 'idempotency-key': 'retry-me' },
        });
      const first = await send();
      expect(first.statusCode).toBe(202);
      const again = await send();
      expect(again.statusCode).toBe(200);
      expect(again.json<{ id: string }>().id).toBe(first.json<{ id: string }>().id);
      expectError(
        await t2.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: { epochs: 2 } }),
        429,
        'TOO_MANY_QUEUED_JOBS',
        /already have 1 job waiting/,
      );
    } finally {
      await t2.close();
    }
  });
});
