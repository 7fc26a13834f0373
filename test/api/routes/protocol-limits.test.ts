import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictBodyBudget } from '../../../src/api/predict-bodies.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { storeTrainedModel, syntheticImage } from '../../helpers/model.js';
import { promSample } from '../../helpers/net.js';
import { serializeByteTensor, tritonRequest } from '../../helpers/v2.js';

/**
 * The same rules on the standard protocols as on /v1: keys and the predict scope, the predict
 * rate budget, the body budget and limits, the decoding caps, request ids, metrics by protocol.
 */
const KEY = 'team-a-predict-key-0123456789';
const flat = (k: number) => Array.from(syntheticImage(k));
const v2Body = { inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(1) }] };

/** An app with keys (tenant team-a's model "digits") and these settings. */
function withApp(env: Record<string, string>) {
  const ref: { t?: TestApp } = {};
  beforeAll(async () => {
    ref.t = await buildTestApp({ API_KEYS: `${KEY}:predict:team-a`, ...env });
    await storeTrainedModel(
      { models: ref.t.deps.models.forTenant('team-a'), registry: ref.t.deps.registry },
      { tenant: 'team-a', registerAs: 'digits' },
    );
  });
  afterAll(() => ref.t?.close());
  return ref;
}
const auth = { authorization: `Bearer ${KEY}` };

describe('V2 and TF Serving on the predict budget', () => {
  const ref = withApp({ RATE_LIMIT_PREDICT_PER_MINUTE: '4' });

  it('draws V2 infer and TF Serving :predict on the predict budget, and counts them by protocol', async () => {
    const t = ref.t!;
    const v2 = () => t.app.inject({ method: 'POST', url: '/v2/models/digits/infer', headers: auth, payload: v2Body });
    const tf = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/models/digits:predict',
        headers: auth,
        payload: { instances: [flat(2)] },
      });
    const statuses = [];
    for (const send of [v2, tf, v2, tf, v2, tf]) statuses.push((await send()).statusCode);
    // The budget of 4 a minute is per tenant, whichever protocol spends it.
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const limited = await v2();
    expect(limited.json()).toEqual({ error: expect.stringMatching(/RATE_LIMIT_PREDICT_PER_MINUTE/) });
    const text = await t.deps.metrics.registry.metrics();
    expect(promSample(text, 'trainyard_inference_requests_total{protocol="v2",status_code="200"}')).toBe(2);
    expect(promSample(text, 'trainyard_inference_requests_total{protocol="tfserving",status_code="200"}')).toBe(2);
    expect(promSample(text, 'trainyard_inference_requests_total{protocol="v2",status_code="429"}')).toBe(2);
  });
});

describe('V2 and TF Serving under the service rules', () => {
  const ref = withApp({ MAX_REQUEST_PIXELS: '1000000' });

  it('needs a key on model routes (401 in the protocol shape), not on health and server metadata', async () => {
    const t = ref.t!;
    const res = await t.app.inject({ method: 'POST', url: '/v2/models/digits/infer', payload: v2Body });
    expect([res.statusCode, res.json()]).toEqual([401, { error: expect.stringMatching(/API key/) }]);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    const tf = await t.app.inject({
      method: 'POST',
      url: '/v1/models/digits:predict',
      payload: { instances: [flat(1)] },
    });
    expect([tf.statusCode, Object.keys(tf.json())]).toEqual([401, ['error']]);
    for (const url of ['/v2', '/v2/health/live', '/v2/health/ready'])
      expect((await t.app.inject(url)).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/v2/models/digits', headers: auth })).statusCode).toBe(200);
  });

  it('echoes the request id on V2 answers', async () => {
    const t = ref.t!;
    const res = await t.app.inject({
      url: '/v2/models/digits/ready',
      headers: { ...auth, 'x-request-id': 'trace-v2-1' },
    });
    expect([res.statusCode, res.headers['x-request-id']]).toEqual([200, 'trace-v2-1']);
  });

  it('refuses images over MAX_REQUEST_PIXELS in BYTES and b64 from their headers, before decoding', async () => {
    const t = ref.t!;
    // A few hundred bytes of PNG declaring a million pixels: refused from its header.
    const huge = await sharp({ create: { width: 1001, height: 1001, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const req = tritonRequest([{ name: 'image', shape: [1], datatype: 'BYTES', raw: serializeByteTensor([huge]) }]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      headers: { ...req.headers, ...auth },
      payload: req.payload,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatch(/1,002,001 pixels; at most 1,000,000 in one request \(MAX_REQUEST_PIXELS\)/);
    const tf = await t.app.inject({
      method: 'POST',
      url: '/v1/models/digits:predict',
      headers: auth,
      payload: { instances: [{ b64: huge.toString('base64') }] },
    });
    expect([tf.statusCode, tf.json().error]).toEqual([413, expect.stringMatching(/MAX_REQUEST_PIXELS/)]);
  });

  it('reserves V2 and TF Serving bodies from the budget /v1 bodies use (503 SERVER_BUSY when it is held)', async () => {
    const t = ref.t!;
    // Half of MAX_PREDICT_BODY_BYTES is one tenant's: held here as a /v1 upload in flight would hold it.
    const budget = predictBodyBudget(t.deps);
    const release = budget.take('tenant:team-a', t.config.MAX_PREDICT_BODY_BYTES / 2);
    try {
      const v2 = await t.app.inject({ method: 'POST', url: '/v2/models/digits/infer', headers: auth, payload: v2Body });
      expect([v2.statusCode, v2.json().error]).toEqual([
        503,
        expect.stringMatching(/per tenant \(half of MAX_PREDICT_BODY_BYTES\)/),
      ]);
      expect(v2.headers['retry-after']).toBeDefined();
      const tf = await t.app.inject({
        method: 'POST',
        url: '/v1/models/digits:predict',
        headers: auth,
        payload: { instances: [flat(1)] },
      });
      expect(tf.statusCode).toBe(503);
    } finally {
      release();
    }
    expect(budget.held()).toBe(0);
    const after = await t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      headers: auth,
      payload: v2Body,
    });
    expect(after.statusCode).toBe(200);
  });

  it('refuses a binary body over MAX_UPLOAD_BYTES with a 413', async () => {
    const t = ref.t!;
    const big = Buffer.alloc(t.config.MAX_UPLOAD_BYTES + 1);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      headers: { ...auth, 'content-type': 'application/octet-stream', 'inference-header-content-length': '10' },
      payload: big,
    });
    expect([res.statusCode, Object.keys(res.json())]).toEqual([413, ['error']]);
  });
});
