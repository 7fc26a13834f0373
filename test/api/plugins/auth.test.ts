import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLoggedTestApp, buildTestApp, type TestApp } from '../../helpers/app.js';
import { startPrivateRedis } from '../../helpers/redis-server.js';
import { expectError } from '../../helpers/http.js';
import { syntheticPng } from '../../helpers/model.js';
import type { FastifyInstance } from 'fastify';

const TRAIN = 'train-key-0123456789abcdef';
const PREDICT = 'predict-key-0123456789abcd';

describe('API keys on /v1 routes', () => {
  let t: Awaited<ReturnType<typeof buildLoggedTestApp>>;
  beforeAll(async () => {
    t = await buildLoggedTestApp({ API_KEYS: `${TRAIN}:train,${PREDICT}:predict` });
  });
  afterAll(() => t.close());

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, key?: string, payload?: object) =>
    t.app.inject({ method, url, payload, headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('answers 401 with a Bearer challenge when no key is sent', async () => {
    const res = await call('GET', '/v1/training-jobs');
    expectError(res, 401, 'UNAUTHORIZED', /needs an API key: send "Authorization: Bearer <key>"/);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="trainyard"');
  });

  it.each([
    ['GET', '/%761/models'],
    ['POST', '/%76%31/training-jobs'],
    ['GET', '/v1/training-jobs/'],
    ['HEAD', '/v1/models'],
    ['GET', '/v1/models?x=1'],
  ] as const)('needs a key for %s %s too (the route the router matches decides)', async (method, url) => {
    const res = await t.app.inject({ method, url, payload: method === 'POST' ? { epochs: 1 } : undefined });
    expect(res.statusCode).toBe(401);
  });

  it('answers 401 invalid_token for a key it does not know, and for other schemes', async () => {
    const res = await call('GET', '/v1/training-jobs', `${TRAIN}x`);
    expectError(res, 401, 'INVALID_API_KEY', /not valid/);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    const basic = await t.app.inject({ url: '/v1/models', headers: { authorization: `Basic ${TRAIN}` } });
    expect(basic.statusCode).toBe(401);
  });

  it('lets a train key call every route', async () => {
    expect((await call('GET', '/v1/training-jobs', TRAIN)).statusCode).toBe(200);
    expect((await call('GET', '/v1/datasets', TRAIN)).statusCode).toBe(200);
    expect((await call('POST', '/v1/training-jobs', TRAIN, { epochs: 1 })).statusCode).toBe(202);
  });

  it('lets a predict key predict and read models, and nothing else (403)', async () => {
    expect((await call('GET', '/v1/models', PREDICT)).statusCode).toBe(200);
    expect((await call('GET', '/v1/models/none', PREDICT)).statusCode).toBe(404);
    // No model is stored: the predict route itself answers, past the key check.
    const predicted = await t.app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload: syntheticPng(1),
      headers: { authorization: `Bearer ${PREDICT}`, 'content-type': 'image/png' },
    });
    expectError(predicted, 409, 'NO_MODEL', /no model has been trained yet/);
    for (const [method, url] of [
      ['GET', '/v1/training-jobs'],
      ['POST', '/v1/training-jobs'],
      ['GET', '/v1/datasets'],
      ['DELETE', '/v1/models/some-model'],
    ] as const) {
      expectError(
        await call(method, url, PREDICT, method === 'POST' ? {} : undefined),
        403,
        'INSUFFICIENT_SCOPE',
        /needs a "train" key/,
      );
    }
  });

  it('keeps health checks and docs open, and metrics behind an admin key', async () => {
    expect((await call('GET', '/healthz')).statusCode).toBe(200);
    expect((await call('GET', '/readyz')).statusCode).toBe(200);
    expect((await call('GET', '/metrics')).statusCode).toBe(401);
    expect((await call('GET', '/metrics', TRAIN)).statusCode).toBe(401);
    expect((await call('GET', '/docs/json')).statusCode).toBe(200);
  });

  it('never writes a key into the logs, and names the caller by key id', async () => {
    await call('GET', '/v1/models', TRAIN);
    await call('GET', '/v1/models', 'wrong-key-but-logged-000');
    const text = t.lines.join('\n');
    expect(text).not.toContain(TRAIN);
    expect(text).not.toContain(PREDICT);
    expect(text).not.toContain('wrong-key-but-logged-000');
    expect(text).toMatch(/"caller":"key:[0-9a-f]{12}"/);
  });
});

describe('without API_KEYS', () => {
  let t: Awaited<ReturnType<typeof buildLoggedTestApp>>;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await buildLoggedTestApp({});
    app = t.app;
  });
  afterAll(() => t.close());

  it('runs open and says so once at start-up', async () => {
    expect((await app.inject({ url: '/v1/models' })).statusCode).toBe(200);
    const warnings = t.lines.filter((l) => l.includes('API_KEYS is not set'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!).level).toBe(40);
  });
});

describe('failed authentications per client IP', () => {
  const prefix = `ty-test-${randomBytes(4).toString('hex')}`;
  const env = { QUEUE_PREFIX: prefix, API_KEYS: `${TRAIN}:train`, AUTH_FAILURES_PER_MINUTE: '3' };
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    // Two replicas on one Redis and prefix: they share the count.
    one = await buildTestApp(env);
    two = await buildTestApp(env);
  });
  afterAll(async () => {
    await one.close();
    await two.close();
  });

  const call = (t: TestApp, ip: string, authorization?: string) =>
    t.app.inject({
      url: '/v1/training-jobs',
      remoteAddress: ip,
      headers: authorization === undefined ? {} : { authorization },
    });

  it('answers 429 with Retry-After past the limit, across replicas, while a valid key from that IP still works', async () => {
    const ip = '203.0.113.7';
    expect((await call(one, ip, 'Bearer wrong-key-00000000000')).statusCode).toBe(401);
    expect((await call(two, ip)).statusCode).toBe(401);
    expect((await call(one, ip, 'Bearer')).statusCode).toBe(401);
    const refused = await call(two, ip, 'Bearer wrong-key-00000000000');
    expectError(
      refused,
      429,
      'TOO_MANY_AUTH_FAILURES',
      /3 failed authentications within a minute, the limit \(AUTH_FAILURES_PER_MINUTE\).*a valid key still works/,
    );
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await call(one, ip)).statusCode).toBe(429);
    expect((await call(one, ip, `Bearer ${TRAIN}`)).statusCode).toBe(200);
    expect((await call(two, ip, `Bearer ${TRAIN}`)).statusCode).toBe(200);
    // Another address has a count of its own.
    expect((await call(one, '203.0.113.8', 'Bearer wrong-key-00000000000')).statusCode).toBe(401);
  });

  it('keeps valid keys off the count', async () => {
    const ip = '203.0.113.9';
    for (let i = 0; i < 10; i++) expect((await call(one, ip, `Bearer ${TRAIN}`)).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call(two, ip, 'Bearer nope-nope-nope-nope')).statusCode).toBe(401);
    expect((await call(one, ip, 'Bearer nope-nope-nope-nope')).statusCode).toBe(429);
  });

  it('counts in the process while Redis does not answer', async () => {
    const redis = await startPrivateRedis();
    const t = await buildTestApp({ ...env, REDIS_URL: redis.url });
    try {
      redis.pause();
      const ip = '198.51.100.1';
      for (let i = 0; i < 3; i++) expect((await call(t, ip, 'Bearer wrong-key-00000000000')).statusCode).toBe(401);
      expectError(await call(t, ip), 429, 'TOO_MANY_AUTH_FAILURES', /AUTH_FAILURES_PER_MINUTE/);
      // Past the limit the address is refused from memory: no Redis command at all.
      expect((await call(t, ip, 'Bearer wrong-key-00000000000')).statusCode).toBe(429);
    } finally {
      redis.resume();
      await t.close();
      await redis.kill();
    }
  });
});
