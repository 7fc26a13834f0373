import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo as Address } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictBodyBudget } from '../../src/api/predict-bodies.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { storeTrainedModel, syntheticImage } from '../helpers/model.js';

const KEY = 'raw-body-key-0123456789abcdef';
const MB = 1024 * 1024;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

/** 1200×1200 of noise, stored uncompressed: about 4.3 MB, past what a chunked body reserves first. */
const noisePng = () => {
  const noise = Buffer.alloc(1200 * 1200);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  return sharp(noise, { raw: { width: 1200, height: 1200, channels: 1 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
};

/** One POST over its own connection: declared (Content-Length) or chunked, the body in `pieces`. */
function post(url: string, pieces: Buffer[], declared: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const length = pieces.reduce((n, p) => n + p.length, 0);
    const r = httpRequest(url, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'image/png',
        authorization: `Bearer ${KEY}`,
        ...(declared ? { 'content-length': String(length) } : {}),
      },
    });
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    });
    r.on('error', reject);
    (async () => {
      for (const piece of pieces) {
        if (!r.write(piece)) await new Promise((ok) => r.once('drain', ok));
      }
      r.end();
    })().catch(() => {});
  });
}

// Raw prediction bodies over real sockets: read into one buffer of their declared length, or
// chunked with 1 MiB reserved first and the rest of MAX_UPLOAD_BYTES once they grow past it.
describe('raw prediction bodies', () => {
  let t: TestApp;
  let url: string;
  let digit: Buffer;
  let big: Buffer;
  beforeAll(async () => {
    t = await buildTestApp({ API_KEYS: `${KEY}:predict:team-r` });
    const model = await storeTrainedModel({ models: t.deps.models.forTenant('team-r') }, { tenant: 'team-r' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as Address).port}/v1/models/${model.id}/predict`;
    digit = await sharp(Buffer.from(syntheticImage(3)), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    big = await noisePng();
  });
  afterAll(() => t.close());

  it('answers the same for a declared and a chunked body, however the bytes arrive', async () => {
    const halves = [digit.subarray(0, 100), digit.subarray(100)];
    const declared = await post(url, halves, true);
    const chunked = await post(url, halves, false);
    expect([declared.status, chunked.status]).toEqual([200, 200]);
    expect(chunked.json.predictions).toEqual(declared.json.predictions);
    expect(big.length).toBeGreaterThan(MB);
    const grown = await post(url, [big.subarray(0, MB / 2), big.subarray(MB / 2)], false);
    expect(grown.status).toBe(200);
    expect(predictBodyBudget(t.deps).held()).toBe(0); // every reservation went with its answer
  });

  it('refuses a chunked body that grows past 1 MiB while the key holds its share, and closes the connection', async () => {
    const budget = predictBodyBudget(t.deps);
    const share = t.config.MAX_PREDICT_BODY_BYTES / 2;
    // With half a MiB of the tenant's share left, even a small chunked body is refused up front:
    // it reserves 1 MiB before its first byte.
    const release = budget.take('tenant:team-r', share - MB / 2);
    try {
      expect((await post(url, [digit], false)).status).toBe(503);
      release();
      // With 2 MiB left, a small one fits in its first MiB...
      const hold = budget.take('tenant:team-r', share - 2 * MB);
      try {
        expect((await post(url, [digit], false)).status).toBe(200);
        // A large one takes its first MiB, then is refused when it asks for the rest.
        const refused = await post(url, [big.subarray(0, MB / 2), big.subarray(MB / 2)], false);
        expect(refused.status).toBe(503);
        expect(refused.json.code).toBe('SERVER_BUSY');
        expect(refused.headers.connection).toBe('close');
      } finally {
        hold();
      }
    } finally {
      release();
    }
    expect(budget.held()).toBe(0);
  });

  it('is a 400 when the body is shorter than its Content-Length', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: new URL(url).pathname,
      headers: { 'content-type': 'image/png', authorization: `Bearer ${KEY}`, 'content-length': '5000' },
      payload: digit,
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('raw prediction bodies, budget edge cases', () => {
  let t: TestApp;
  let url: string;
  let big: Buffer;
  beforeAll(async () => {
    // One tenant's half of the budget (3 MiB) is less than one body's limit (6 MiB); the limiter
    // is on, so every request waits on Redis before its body is reserved.
    t = await buildTestApp({
      API_KEYS: `${KEY}:predict:team-r`,
      MAX_PREDICT_BODY_BYTES: String(6 * MB),
      MAX_UPLOAD_BYTES: String(6 * MB),
      RATE_LIMIT_PREDICT_PER_MINUTE: '100000',
    });
    const model = await storeTrainedModel({ models: t.deps.models.forTenant('team-r') }, { tenant: 'team-r' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as Address).port}/v1/models/${model.id}/predict`;
    big = await noisePng();
  });
  afterAll(() => t.close());

  it("reads a chunked body larger than the tenant's half when it is the tenant's only one", async () => {
    expect(big.length).toBeGreaterThan(3 * MB);
    expect(big.length).toBeLessThan(6 * MB);
    const res = await post(url, [big.subarray(0, MB / 2), big.subarray(MB / 2)], false);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
  });

  it('keeps nothing reserved for clients that leave right after their headers', async () => {
    // A raw connection that sends the request head (and maybe a body), then leaves.
    const { port, pathname } = new URL(url);
    const leave = async (length: string, body?: Buffer) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((ok) => socket.once('connect', ok));
      socket.write(
        `POST ${pathname} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\n` +
          `Content-Type: image/png\r\n${length}\r\n\r\n`,
      );
      if (body) socket.end(body, () => setTimeout(() => socket.destroy(), 5));
      else socket.destroy();
    };
    for (let i = 0; i < 20; i++) await leave(i % 2 ? 'Transfer-Encoding: chunked' : `Content-Length: ${2 * MB}`);
    // And clients that send a whole body and leave while it is decoded: theirs is given back
    // once the work is done, not before, and not never.
    for (let i = 0; i < 4; i++) await leave(`Content-Length: ${big.length}`, big);
    const budget = predictBodyBudget(t.deps);
    for (let i = 0; i < 250 && budget.held() > 0; i++) await new Promise((ok) => setTimeout(ok, 20));
    expect(budget.held()).toBe(0);
    // ...so the next prediction is read as usual.
    expect((await post(url, [big], true)).status).toBe(200);
  });
});
