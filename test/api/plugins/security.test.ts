import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLoggedTestApp, buildTestApp, type TestApp } from '../../helpers/app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('security headers and request ids', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('sends a Content-Security-Policy that allows only this origin to run scripts', async () => {
    const res = await t.app.inject({ url: '/healthz' });
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers no CORS headers unless CORS_ORIGINS allows an origin', async () => {
    const res = await t.app.inject({ url: '/v1/models', headers: { origin: 'https://elsewhere.example' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('gives every response a request id, keeping a plain incoming one', async () => {
    expect((await t.app.inject({ url: '/healthz' })).headers['x-request-id']).toMatch(UUID);
    const kept = await t.app.inject({ url: '/v1/nothing', headers: { 'x-request-id': 'lb-7f3a.42' } });
    expect(kept.statusCode).toBe(404);
    expect(kept.headers['x-request-id']).toBe('lb-7f3a.42');
    for (const bad of ['has space', 'x'.repeat(129), 'quote"d']) {
      const res = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
  });
});

describe('CORS_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ CORS_ORIGINS: 'https://app.example, https://other.example' });
  });
  afterAll(() => t.close());

  it('answers preflights for the listed origins only', async () => {
    const preflight = (origin: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url: '/v1/training-jobs',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const ok = await preflight('https://app.example');
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(ok.headers['access-control-allow-headers']).toContain('authorization');
    const other = await preflight('https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const get = await t.app.inject({ url: '/v1/models', headers: { origin: 'https://other.example' } });
    expect(get.headers['access-control-allow-origin']).toBe('https://other.example');
    expect(get.headers['access-control-expose-headers']).toContain('x-request-id');
  });
});

describe('request ids in the logs', () => {
  it('puts the request id on the log line of its request', async () => {
    const { app, lines, close } = await buildLoggedTestApp();
    try {
      await app.inject({ url: '/v1/models', headers: { 'x-request-id': 'trace-abc-123' } });
      const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request');
      expect(line).toMatchObject({ reqId: 'trace-abc-123', url: '/v1/models', statusCode: 200 });
    } finally {
      await close();
    }
  });
});
