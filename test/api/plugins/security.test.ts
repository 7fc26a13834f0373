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

describe('cross-site requests while the API runs open', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ CORS_ORIGINS: 'https://app.example', ALLOWED_HOSTS: 'trainyard.local,api.example' });
  });
  afterAll(() => t.close());

  /** A job submission the guard lets through fails validation (400) instead, so nothing is queued. */
  const submit = (headers: Record<string, string>, method: 'POST' | 'DELETE' = 'POST') =>
    t.app.inject({
      method,
      url: method === 'POST' ? '/v1/training-jobs' : '/v1/training-jobs/j-none',
      headers: { host: 'trainyard.local:3000', ...headers },
      payload: method === 'POST' ? { epochs: 0 } : undefined,
    });
  const expectRefused = (res: Awaited<ReturnType<typeof submit>>, who: RegExp) => {
    expect(res.statusCode).toBe(403);
    const body = res.json<{ code: string; message: string }>();
    expect(body.code).toBe('CROSS_ORIGIN_FORBIDDEN');
    expect(body.message).toMatch(who);
    expect(body.message).toContain("this API's own origin (http://trainyard.local:3000)");
    expect(body.message).toContain('CORS_ORIGINS');
  };

  it.each([
    ['another site', 'https://evil.example', /^a page of origin "https:\/\/evil\.example" may not POST here/],
    ['a sandboxed frame or a file', 'null', /^a page of origin "null"/],
    ['the own host on another port', 'http://trainyard.local:3001', /"http:\/\/trainyard\.local:3001"/],
    ['the own host and port over another scheme', 'https://trainyard.local:3000', /"https:\/\/trainyard\.local:3000"/],
    ['a sub-domain of the own host', 'http://x.trainyard.local:3000', /"http:\/\/x\.trainyard\.local:3000"/],
    ['a user-info trick', 'http://trainyard.local:3000@evil.example', /evil\.example/],
    ['an Origin that is no URL', 'not a url', /"not a url"/],
  ])('refuses a change from %s', async (_, origin, who) => {
    expectRefused(await submit({ origin }), who);
  });

  it('refuses a browser request that says it is cross-site without an Origin, and DELETEs too', async () => {
    expectRefused(
      await submit({ 'sec-fetch-site': 'cross-site' }),
      /^a cross-site browser request \(Sec-Fetch-Site: cross-site\) may not POST/,
    );
    expectRefused(await submit({ origin: 'https://evil.example' }, 'DELETE'), /may not DELETE here/);
  });

  it('refuses a cross-site upload before reading its body', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { origin: 'https://evil.example', 'content-type': 'multipart/form-data; boundary=x' },
      payload: Buffer.alloc(1024 * 1024, 'x'),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'CROSS_ORIGIN_FORBIDDEN' });
  });

  it.each([
    ['the own origin', { origin: 'http://trainyard.local:3000' }],
    ['the own origin with the default port left out', { origin: 'http://trainyard.local', host: 'trainyard.local:80' }],
    [
      'the own origin behind a TLS proxy',
      { origin: 'https://api.example', host: 'api.example', 'x-forwarded-proto': 'https' },
    ],
    [
      'a proxy that renames the host',
      { origin: 'https://api.example', 'x-forwarded-host': 'api.example', 'x-forwarded-proto': 'https' },
    ],
    ['an origin listed in CORS_ORIGINS', { origin: 'https://app.example', 'sec-fetch-site': 'cross-site' }],
    ['a client without Origin (curl, a server)', {}],
    ['a same-origin browser request', { 'sec-fetch-site': 'same-origin' }],
  ])('lets through %s', async (_, headers) => {
    const res = await submit(headers);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('lets any page read (GET, HEAD) and send preflights', async () => {
    const headers = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    expect((await t.app.inject({ url: '/v1/models', headers })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'HEAD', url: '/v1/models', headers })).statusCode).toBe(200);
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/training-jobs',
      headers: { ...headers, 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    // No CORS grant: the browser sends nothing after it.
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('cross-site requests with CORS_ORIGINS=*', () => {
  it('lets every origin through but null', async () => {
    const t = await buildTestApp({ CORS_ORIGINS: '*', ALLOWED_HOSTS: 'trainyard.local,api.example' });
    try {
      const post = (origin: string) =>
        t.app.inject({ method: 'POST', url: '/v1/training-jobs', headers: { origin }, payload: { epochs: 0 } });
      expect((await post('https://evil.example')).statusCode).toBe(400);
      expect((await post('null')).statusCode).toBe(403);
    } finally {
      await t.close();
    }
  });
});

describe('cross-site requests with API keys', () => {
  it('are left to the keys: a browser sends no bearer key by itself', async () => {
    const key = 'train-key-0123456789abcdef';
    const t = await buildTestApp({ API_KEYS: `${key}:train` });
    try {
      const post = (headers: Record<string, string>) =>
        t.app.inject({ method: 'POST', url: '/v1/training-jobs', headers, payload: { epochs: 0 } });
      const forged = await post({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      expect(forged.statusCode).toBe(401);
      expect(forged.json()).toMatchObject({ code: 'UNAUTHORIZED' });
      // A page that holds a key (an app of another origin) is not refused for its origin.
      const keyed = await post({ origin: 'https://evil.example', authorization: `Bearer ${key}` });
      expect(keyed.statusCode).toBe(400);
    } finally {
      await t.close();
    }
  });
});
