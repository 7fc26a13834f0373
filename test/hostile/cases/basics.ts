import { expect } from 'vitest';
import { connect } from 'node:net';
import { bearer, send } from '../../helpers/hostile/send.js';
import type { CaseFile } from '../../helpers/hostile/types.js';

/** Requests any HTTP service gets from scanners and broken clients: bodies, headers, ids. */
const json = { 'content-type': 'application/json' };

const file: CaseFile = {
  // Long enough for a busy decoder's answer (silence while the server works counts too), short for the stall cases.
  env: { CLIENT_IDLE_TIMEOUT_MS: '10000' },
  cases: [
    {
      name: 'a body shorter than its Content-Length is dropped after the idle timeout',
      run: async (ctx) => {
        const res = await stall(ctx.url, {
          head: `POST /v1/training-jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ctx.keys.train}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"epochs":`,
        });
        expect(res.closed).toBe(true);
        expect(res.waitedMs).toBeLessThan(20_000);
      },
    },
    {
      name: 'two Content-Length headers get the error shape and a closed connection (request smuggling)',
      run: async (ctx) => {
        const text = await raw(
          ctx.url,
          'POST /v1/training-jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}',
        );
        expect(text).toMatch(/^HTTP\/1\.1 400 /);
        expect(text).toMatch(/"code":"MALFORMED_HTTP"/);
      },
    },
    {
      name: 'headers of 64 KB are a 431 in the error shape',
      run: async (ctx) => {
        const text = await raw(ctx.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(65_536)}\r\n\r\n`);
        expect(text).toMatch(/^HTTP\/1\.1 431 /);
        expect(text).toMatch(/"code":"HEADERS_TOO_LARGE"/);
      },
    },
    {
      name: 'request headers that never end are dropped',
      run: async (ctx) => {
        const res = await stall(ctx.url, { head: 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a' });
        expect(res.closed).toBe(true);
        expect(res.waitedMs).toBeLessThan(45_000);
      },
    },
    {
      name: 'a body over MAX_UPLOAD_BYTES is refused from its Content-Length',
      request: (ctx) => ({
        method: 'POST',
        path: '/v1/training-jobs',
        headers: { ...json, ...bearer(ctx.keys.train), 'content-length': String(11 * 1024 * 1024) },
        body: '{}',
      }),
      expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
    },
    {
      name: 'JSON with __proto__ is refused',
      request: (ctx) => ({
        method: 'POST',
        path: '/v1/training-jobs',
        headers: { ...json, ...bearer(ctx.keys.train) },
        body: '{"__proto__": {"admin": true}, "epochs": 1}',
      }),
      expect: { status: 400, code: 'FORBIDDEN_KEY', message: /__proto__/ },
    },
    {
      name: 'JSON nested 100,000 deep is refused without a crash',
      request: (ctx) => ({
        method: 'POST',
        path: '/v1/training-jobs',
        headers: { ...json, ...bearer(ctx.keys.train) },
        body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      }),
      expect: { status: 400 },
    },
    {
      name: 'a text/plain body is a 415',
      request: (ctx) => ({
        method: 'POST',
        path: '/v1/training-jobs',
        headers: { 'content-type': 'text/plain', ...bearer(ctx.keys.train) },
        body: 'epochs=1',
      }),
      expect: { status: 415 },
    },
    {
      name: 'an id of 10,000 characters is a 414 naming the limit, not a 500',
      request: (ctx) => ({
        method: 'GET',
        path: `/v1/training-jobs/${'a'.repeat(10_000)}`,
        headers: bearer(ctx.keys.train),
      }),
      expect: { status: 414, message: /longer than 1000 characters/ },
    },
    {
      name: 'a percent-encoded traversal in a model id is a 404',
      request: (ctx) => ({
        method: 'GET',
        path: '/v1/models/..%2F..%2F..%2Fetc%2Fpasswd/model.json',
        headers: bearer(ctx.keys.predict),
      }),
      expect: { status: 404 },
    },
    {
      name: 'a predict key cannot queue a job',
      request: (ctx) => ({
        method: 'POST',
        path: '/v1/training-jobs',
        headers: { ...json, ...bearer(ctx.keys.predict) },
        body: '{"epochs": 1}',
      }),
      expect: { status: 403, code: 'INSUFFICIENT_SCOPE' },
    },
    {
      name: 'an X-Request-Id carrying a header injection is replaced',
      run: async (ctx) => {
        const res = await send(ctx, {
          method: 'GET',
          path: '/healthz',
          headers: { 'x-request-id': 'abc\u00e9<script>' },
        });
        expect(res.status).toBe(200);
        expect(String(res.headers['x-request-id'])).toMatch(/^[0-9a-f-]{36}$/);
      },
    },
    {
      name: '200 concurrent requests to an unknown route all get an answer',
      run: async (ctx) => {
        const answers = await Promise.all(
          Array.from({ length: 200 }, () => send(ctx, { method: 'GET', path: '/v1/nothing-here' })),
        );
        expect(answers.every((a) => a.status === 404 || a.status === 401)).toBe(true);
      },
    },
  ],
};

export default file;

/** Writes `head` on a raw socket and waits, sending nothing more, until the server closes it. */
function stall(url: string, { head }: { head: string }): Promise<{ closed: boolean; waitedMs: number }> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    const give = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, waitedMs: Date.now() - started });
    }, 60_000);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(give);
      resolve({ closed: true, waitedMs: Date.now() - started });
    });
  });
}

/** Sends `text` on a raw socket and returns everything the server answers until it closes. */
function raw(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(Number(port), hostname, () => socket.write(text));
    socket.setTimeout(20_000, () => socket.destroy());
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer));
  });
}
