import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { expect } from 'vitest';
import { bearer, send } from '../../helpers/hostile/send.js';
import type { CaseFile, HostileContext, HostileRequest } from '../../helpers/hostile/types.js';

/**
 * Safe defaults: browsers of other sites cannot change an open service, model files are cached
 * privately when keys guard them, model files stream whatever the conditional headers claim, and
 * no error answer shows where the service keeps its files.
 */
const TRUSTED = 'https://trusted.example';
const json = { 'content-type': 'application/json' };

/** A job submission from a browser page: refused by the guard (403), or else refused as invalid (400). */
const crossSite = (headers: Record<string, string>): HostileRequest => ({
  method: 'POST',
  path: '/v1/training-jobs',
  headers: { ...json, ...headers },
  body: '{"epochs": 0}',
});
const refused = { status: 403, code: 'CROSS_ORIGIN_FORBIDDEN' };
/** Past the guard: the invalid body's 400, or a 429 when other cases used the budget up; never a 403. */
const passed = { status: [400, 429], code: ['VALIDATION_ERROR', 'RATE_LIMITED'] };

const own = (ctx: HostileContext) => new URL(ctx.url);

/** A slash-rooted path of two or more segments that is not one of the API's own routes, or a file: URL. */
const ABSOLUTE_PATH = /(^|[\s'"(=:,])\/(?!v1\/|assets\/)[\w.+-]+\/|file:/;

const weights = (ctx: HostileContext) => `/v1/models/${ctx.modelId}/weights.bin`;

const file: CaseFile = {
  env: { CORS_ORIGINS: TRUSTED },
  cases: [
    {
      name: 'open: a job POSTed by a page of another site is a 403 naming the origin and CORS_ORIGINS',
      target: 'open',
      request: () => crossSite({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }),
      expect: { ...refused, message: /"https:\/\/evil\.example" may not POST here.*CORS_ORIGINS/ },
    },
    {
      name: 'open: Origin null (a sandboxed frame, a file:// page) counts as cross-site',
      target: 'open',
      request: () => crossSite({ origin: 'null' }),
      expect: { ...refused, message: /origin "null"/ },
    },
    {
      name: 'open: the API host on another port is another origin',
      target: 'open',
      request: (ctx) => crossSite({ origin: `http://${own(ctx).hostname}:${Number(own(ctx).port) + 1}` }),
      expect: refused,
    },
    {
      name: 'open: the API host and port over https is another origin',
      target: 'open',
      request: (ctx) => crossSite({ origin: `https://${own(ctx).host}` }),
      expect: refused,
    },
    {
      name: 'open: localhost is not the origin of a service asked for as 127.0.0.1',
      target: 'open',
      request: (ctx) => crossSite({ origin: `http://localhost:${own(ctx).port}` }),
      expect: refused,
    },
    {
      name: 'open: Sec-Fetch-Site cross-site without an Origin is a 403',
      target: 'open',
      request: () => crossSite({ 'sec-fetch-site': 'cross-site' }),
      expect: { ...refused, message: /Sec-Fetch-Site: cross-site/ },
    },
    {
      name: 'open: a cross-site DELETE of the stored model is refused and the model stays',
      target: 'open',
      run: async (ctx) => {
        const res = await send(ctx, {
          method: 'DELETE',
          path: `/v1/models/${ctx.modelId}`,
          headers: { origin: 'https://evil.example' },
        });
        expect(res.status).toBe(403);
        expect(res.json?.code).toBe('CROSS_ORIGIN_FORBIDDEN');
        expect((await send(ctx, { method: 'GET', path: `/v1/models/${ctx.modelId}` })).status).toBe(200);
      },
    },
    {
      name: 'open: a cross-site upload announcing 50 MB is answered 403 without waiting for its body',
      target: 'open',
      run: async (ctx) => {
        const head =
          'POST /v1/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\n' +
          `Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`;
        const part = '--xyz\r\nContent-Disposition: form-data; name="trainImages"; filename="a"\r\n\r\n';
        const answer = await firstAnswer(ctx.url, head + part + 'x'.repeat(32 * 1024));
        expect(answer).toMatch(/^HTTP\/1\.1 403 /);
        expect(answer).toContain('"code":"CROSS_ORIGIN_FORBIDDEN"');
      },
    },
    {
      name: 'open: an origin listed in CORS_ORIGINS gets past the guard',
      target: 'open',
      request: () => crossSite({ origin: TRUSTED, 'sec-fetch-site': 'cross-site' }),
      expect: passed,
    },
    {
      name: 'open: the API own origin and clients without Origin get past the guard',
      target: 'open',
      run: async (ctx) => {
        for (const headers of [{ origin: own(ctx).origin, 'sec-fetch-site': 'same-origin' }, {}] as Record<
          string,
          string
        >[]) {
          const res = await send(ctx, crossSite(headers));
          expect(passed.status, JSON.stringify(headers)).toContain(res.status);
        }
      },
    },
    {
      name: 'open: a preflight from another site gets no CORS grant',
      target: 'open',
      run: async (ctx) => {
        const res = await send(ctx, {
          method: 'OPTIONS',
          path: '/v1/training-jobs',
          headers: {
            origin: 'https://evil.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
        expect([204, 404]).toContain(res.status);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
      },
    },
    {
      name: 'keyed: a forged cross-site POST carries no key and is a 401',
      request: () => crossSite({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }),
      expect: { status: 401, code: 'UNAUTHORIZED' },
    },
    {
      name: 'keyed: model.json and weights.bin (GET and HEAD) are Cache-Control private, Vary Authorization',
      run: async (ctx) => {
        for (const [method, name] of [
          ['GET', 'model.json'],
          ['GET', 'weights.bin'],
          ['HEAD', 'model.json'],
          ['HEAD', 'weights.bin'],
        ] as const) {
          const res = await send(ctx, {
            method,
            path: `/v1/models/${ctx.modelId}/${name}`,
            headers: bearer(ctx.keys.predict),
          });
          expect(res.status, `${method} ${name}`).toBe(200);
          expect(res.headers['cache-control']).toMatch(/^private\b/);
          expect(String(res.headers.vary).toLowerCase()).toContain('authorization');
        }
      },
    },
    {
      name: 'open: model files are public, immutable',
      target: 'open',
      run: async (ctx) => {
        const res = await send(ctx, { method: 'GET', path: `/v1/models/${ctx.modelId}/model.json` });
        expect(res.status).toBe(200);
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      },
    },
    {
      name: 'keyed: Range and If-None-Match that lie get the whole file; the true ETag gets a bare 304',
      run: async (ctx) => {
        const auth = bearer(ctx.keys.train);
        const whole = await send(ctx, { method: 'GET', path: weights(ctx), headers: auth });
        expect(whole.status).toBe(200);
        const size = Number(whole.headers['content-length']);
        expect(size).toBeGreaterThan(0);
        const etag = String(whole.headers.etag);
        const lies: Record<string, string>[] = [
          { range: 'bytes=0-0' },
          { range: `bytes=${size * 100}-${size * 200}` },
          { range: 'bytes=-99999999999999999999, 7-3, x' },
          { range: `bytes=${Array.from({ length: 1000 }, (_, i) => `${i}-${i}`).join(',')}` },
          { 'if-none-match': '"r0-00000000"' },
          { 'if-none-match': `W/"${etag}` },
          { 'if-none-match': `${'"x", '.repeat(1500)}"y"` },
          { 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() },
        ];
        for (const headers of lies) {
          const res = await send(ctx, { method: 'GET', path: weights(ctx), headers: { ...auth, ...headers } });
          expect(res.status, JSON.stringify(headers).slice(0, 80)).toBe(200);
          expect(Number(res.headers['content-length'])).toBe(size);
          expect(Buffer.byteLength(res.text, 'latin1')).toBeGreaterThan(0);
        }
        const cached = await send(ctx, {
          method: 'GET',
          path: weights(ctx),
          headers: { ...auth, 'if-none-match': etag },
        });
        expect(cached.status).toBe(304);
        expect(cached.text).toBe('');
        // Without a key, a matching tag tells nothing: the answer is the 401.
        const anonymous = await send(ctx, { method: 'GET', path: weights(ctx), headers: { 'if-none-match': etag } });
        expect(anonymous.status).toBe(401);
      },
    },
    {
      name: 'open: HEAD on model files answers their length and no body',
      target: 'open',
      run: async (ctx) => {
        for (const name of ['model.json', 'weights.bin']) {
          const path = `/v1/models/${ctx.modelId}/${name}`;
          const [get, head] = [await send(ctx, { method: 'GET', path }), await send(ctx, { method: 'HEAD', path })];
          expect(head.status).toBe(200);
          expect(head.text).toBe('');
          expect(head.headers['content-length']).toBe(get.headers['content-length']);
          expect(head.headers.etag).toBe(get.headers.etag);
        }
      },
    },
    {
      name: 'open: 40 downloads of weights.bin dropped after their first bytes, then one read whole',
      target: 'open',
      run: async (ctx) => {
        await Promise.all(Array.from({ length: 40 }, () => dropAfterFirstBytes(new URL(weights(ctx), ctx.url))));
        const res = await send(ctx, { method: 'GET', path: weights(ctx) });
        expect(res.status).toBe(200);
        expect(Buffer.byteLength(res.text, 'latin1')).toBeGreaterThan(0);
      },
    },
    {
      name: 'keyed: traversal in model ids (encoded slashes, encoded dots, NUL, long ids) never reaches a file',
      run: async (ctx) => {
        const auth = bearer(ctx.keys.predict);
        const ids: [string, number[]][] = [
          ['..%2f..%2fetc%2fpasswd', [404]],
          ['..%2F..%2F..%2Fproc%2Fself%2Fenviron', [404]],
          ['%2e%2e', [404]],
          ['%2e%2e%2f%2e%2e%2fmetadata.json', [404]],
          ['..%5c..%5cwindows', [404]],
          ['m%00.json', [404]],
          ['%252e%252e%252f', [404]],
          ['a'.repeat(300), [400]],
          ['a'.repeat(5000), [414]],
        ];
        for (const [id, statuses] of ids) {
          for (const name of ['model.json', 'weights.bin']) {
            const res = await send(ctx, { method: 'GET', path: `/v1/models/${id}/${name}`, headers: auth });
            expect(statuses, `${id.slice(0, 40)}/${name}: ${res.text.slice(0, 200)}`).toContain(res.status);
            expect(res.text).not.toMatch(/root:|PATH=/);
            expect(res.json?.statusCode).toBe(res.status);
          }
        }
      },
    },
    ...(['keyed', 'open'] as const).map((target) => ({
      name: `${target}: error answers name no path of the server`,
      target,
      run: async (ctx: HostileContext) => {
        const auth = target === 'keyed' ? bearer(ctx.keys.train) : {};
        const requests: HostileRequest[] = [
          { method: 'GET', path: '/v1/models/m-none/model.json', headers: auth },
          { method: 'GET', path: '/v1/models/..%2f..%2f..%2fdata/weights.bin', headers: auth },
          { method: 'DELETE', path: '/v1/models/m-none', headers: auth },
          { method: 'GET', path: '/v1/datasets/ds_none', headers: auth },
          { method: 'GET', path: '/v1/training-jobs/j-none', headers: auth },
          { method: 'POST', path: '/v1/training-jobs', headers: { ...auth, ...json }, body: '{"dataset": "ds_none"}' },
          { method: 'POST', path: '/v1/training-jobs', headers: { ...auth, ...json }, body: '{"epochs": "x"' },
          { method: 'POST', path: '/v1/predict', headers: { ...auth, 'content-type': 'image/png' }, body: 'not a png' },
          { method: 'POST', path: '/v1/predict', headers: { ...auth, 'content-type': 'text/plain' }, body: 'x' },
          { method: 'POST', path: `/v1/models/m-none/predict`, headers: { ...auth, ...json }, body: '{"pixels": [1]}' },
          { method: 'GET', path: '/v1/nothing-here', headers: auth },
          { method: 'GET', path: '/assets/..%2f..%2f..%2fpackage.json' },
          ...(target === 'keyed'
            ? [
                {
                  method: 'GET',
                  path: '/v1/models',
                  headers: { authorization: 'Bearer not-a-key-of-this-service' },
                } as const,
              ]
            : []),
        ];
        for (const req of requests) {
          const res = await send(ctx, req);
          expect(res.status, `${req.method} ${req.path}`).toBeGreaterThanOrEqual(400);
          expect(res.text, `${req.method} ${req.path}`).not.toMatch(ABSOLUTE_PATH);
        }
      },
    })),
  ],
};

/** Sends raw bytes and resolves with the first bytes of the answer (or '' when the connection closes without one). */
function firstAnswer(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.once('data', (d: Buffer) => {
      resolve(d.toString('latin1'));
      socket.destroy();
    });
    socket.once('close', () => resolve(''));
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

/** Starts a download and closes the connection as soon as the first bytes of the body arrive. */
function dropAfterFirstBytes(url: URL): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false, timeout: 10_000 }, (res) => {
      res.once('data', () => req.destroy());
      res.once('end', () => resolve());
      res.once('close', () => resolve());
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.end();
  });
}

export default file;
