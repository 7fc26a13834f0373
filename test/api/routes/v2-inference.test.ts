import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { DIGITS, SIDE, storeTrainedModel, syntheticImage, syntheticPng } from '../../helpers/model.js';
import { float32Bytes, float64Bytes, readTritonAnswer, serializeByteTensor, tritonRequest } from '../../helpers/v2.js';

const flat = (k: number, variant = 0) => Array.from(syntheticImage(k, variant));
const rows = (k: number) => Array.from({ length: SIDE }, (_, r) => flat(k).slice(r * SIDE, (r + 1) * SIDE));
const DIGITS_SENT = [0, 3, 7, 9];

describe('Open Inference Protocol (V2) routes', () => {
  let t: TestApp;
  let v1Classes: number[];
  beforeAll(async () => {
    t = await buildTestApp();
    await storeTrainedModel(t.deps, { registerAs: 'digits' });
    await storeTrainedModel(t.deps, { registerAs: 'digits' }); // version 2 is latest
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/models/digits/predict',
      payload: { instances: DIGITS_SENT.map((k) => flat(k)) },
    });
    v1Classes = (res.json() as { predictions: { class: number }[] }).predictions.map((p) => p.class);
    expect(v1Classes).toEqual(DIGITS_SENT);
  });
  afterAll(() => t.close());

  const infer = (payload: object, url = '/v2/models/digits/infer') => t.app.inject({ method: 'POST', url, payload });
  const classesOf = (res: { statusCode: number; json(): unknown }) => {
    expect(res.statusCode).toBe(200);
    const body = res.json() as { outputs: { name: string; data: number[] }[] };
    return body.outputs.find((o) => o.name === 'class')!.data;
  };
  const expectV2Error = (res: { statusCode: number; json(): unknown }, status: number, message: RegExp) => {
    expect(res.statusCode).toBe(status);
    const body = res.json() as { error: string };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(message);
  };

  it('answers health, readiness and server metadata', async () => {
    expect((await t.app.inject('/v2/health/live')).json()).toEqual({ live: true });
    const ready = await t.app.inject('/v2/health/ready');
    expect([ready.statusCode, ready.json()]).toEqual([200, { ready: true }]);
    const meta = await t.app.inject('/v2');
    expect(meta.json()).toEqual({ name: 'trainyard', version: expect.any(String), extensions: ['binary_tensor_data'] });
  });

  it('describes a model and its versions, and says it is ready', async () => {
    const meta = (await t.app.inject('/v2/models/digits')).json();
    expect(meta).toMatchObject({ name: 'digits', versions: ['2', '1'], platform: 'tensorflowjs_layers' });
    // Exactly one input, so that a client filling in every listed input sends a valid request.
    expect(meta.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 784] }]);
    expect(meta.outputs).toContainEqual({ name: 'probabilities', datatype: 'FP32', shape: [-1, DIGITS.length] });
    expect((await t.app.inject('/v2/models/digits/versions/1')).statusCode).toBe(200);
    expect((await t.app.inject('/v2/models/digits/ready')).json()).toEqual({ name: 'digits', ready: true });
    expect((await t.app.inject('/v2/models/digits/versions/2/ready')).json()).toEqual({ name: 'digits', ready: true });
  });

  it('answers unknown models and versions with 404 in the protocol error shape', async () => {
    expectV2Error(await t.app.inject('/v2/models/nope'), 404, /nope/);
    expectV2Error(await t.app.inject('/v2/models/digits/versions/9/ready'), 404, /version 9/);
    expectV2Error(await infer({ inputs: [] }, '/v2/models/nope/infer'), 404, /nope/);
    expectV2Error(await t.app.inject('/v2/models/digits/versions/x1'), 400, /not a version number/);
    expectV2Error(await t.app.inject('/v2/nowhere'), 404, /no route/);
  });

  it('infers FP32, FP64 and UINT8 in every shape, flat or nested, with the classes of /v1/predict', async () => {
    const n = DIGITS_SENT.length;
    const flatData = DIGITS_SENT.flatMap((k) => flat(k));
    const cases = [
      { shape: [n, 784], datatype: 'FP32', data: flatData },
      { shape: [n, 784], datatype: 'FP64', data: DIGITS_SENT.map((k) => flat(k)) },
      { shape: [n, 28, 28], datatype: 'UINT8', data: DIGITS_SENT.map(rows) },
      { shape: [n, 28, 28], datatype: 'FP32', data: flatData },
      { shape: [n, 28, 28, 1], datatype: 'FP32', data: DIGITS_SENT.map((k) => rows(k).map((r) => r.map((v) => [v]))) },
    ];
    for (const c of cases) {
      const res = await infer({ inputs: [{ name: 'input', ...c }] });
      expect({ ...c, data: undefined, classes: classesOf(res) }).toEqual({ ...c, data: undefined, classes: v1Classes });
    }
  });

  it('infers BYTES holding base64 PNGs through the same decoding as /v1/predict', async () => {
    const data = DIGITS_SENT.map((k) => syntheticPng(k).toString('base64'));
    const res = await infer({ inputs: [{ name: 'image', shape: [data.length], datatype: 'BYTES', data }] });
    expect(classesOf(res)).toEqual(v1Classes);
  });

  it('echoes the id, names the version, and answers only the outputs asked for', async () => {
    const res = await infer({
      id: 'req-42',
      inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(7) }],
      outputs: [{ name: 'label' }, { name: 'probabilities' }],
    });
    const body = res.json();
    expect(body).toMatchObject({ id: 'req-42', model_name: 'digits', model_version: '2' });
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['label', 'probabilities']);
    expect(body.outputs[0]).toEqual({ name: 'label', datatype: 'BYTES', shape: [1], data: ['7'] });
    expect(body.outputs[1]).toMatchObject({ datatype: 'FP32', shape: [1, 10] });
    const v1 = await infer(
      { inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(7) }] },
      '/v2/models/digits/versions/1/infer',
    );
    expect(v1.json()).toMatchObject({ model_version: '1' });
  });

  it('answers tritonclient.http requests byte for byte: binary FP32, UINT8 and BYTES inputs, binary outputs', async () => {
    const n = DIGITS_SENT.length;
    const inputs = [
      { name: 'input', shape: [n, 784], datatype: 'FP32', raw: float32Bytes(DIGITS_SENT.flatMap((k) => flat(k))) },
      {
        name: 'input',
        shape: [n, 28, 28, 1],
        datatype: 'UINT8',
        raw: Buffer.from(DIGITS_SENT.flatMap((k) => flat(k))),
      },
      {
        name: 'image',
        shape: [n],
        datatype: 'BYTES',
        raw: serializeByteTensor(DIGITS_SENT.map((k) => syntheticPng(k))),
      },
    ];
    for (const input of inputs) {
      const { headers, payload } = tritonRequest([input]);
      const res = await t.app.inject({ method: 'POST', url: '/v2/models/digits/infer', headers, payload });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      const { json, outputs } = readTritonAnswer(res.headers, res.rawPayload);
      expect(json).toMatchObject({ model_name: 'digits', model_version: '2' });
      expect(outputs.find((o) => o.name === 'class')).toEqual({
        name: 'class',
        datatype: 'INT64',
        shape: [n],
        data: v1Classes,
      });
      expect(outputs.find((o) => o.name === 'label')!.data).toEqual(v1Classes.map(String));
      const probs = outputs.find((o) => o.name === 'probabilities')!;
      expect(probs.shape).toEqual([n, 10]);
      expect((probs.data as number[]).slice(0, 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
  });

  it('mixes binary and JSON outputs as each asks, and takes FP64 binary with a JSON content type', async () => {
    const input = { name: 'input', shape: [1, 784], datatype: 'FP64', raw: float64Bytes(flat(3)) };
    const { headers, payload } = tritonRequest([input], {
      id: 'x',
      outputs: [
        { name: 'class', binary: false },
        { name: 'probabilities', binary: true },
      ],
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      payload,
    });
    const { json, outputs } = readTritonAnswer(res.headers, res.rawPayload);
    expect(json.id).toBe('x');
    expect(outputs[0]).toEqual({ name: 'class', datatype: 'INT64', shape: [1], data: [3] });
    expect(outputs[1]!.data).toHaveLength(10);
  });

  it('answers KServe REST client JSON (compact, application/json) with JSON', async () => {
    const payload = JSON.stringify({
      id: 'k1',
      inputs: [{ name: 'input-0', shape: [1, 784], datatype: 'FP32', data: flat(9) }],
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['inference-header-content-length']).toBeUndefined();
    expect(classesOf(res)).toEqual([9]);
  });

  it('refuses bad tensors with a 400 that says what is wrong', async () => {
    const one = (input: object, extra: object = {}) =>
      infer({ inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(1), ...input }], ...extra });
    expectV2Error(await one({ shape: [2, 784] }), 400, /holds 784 elements, its shape says 1568/);
    expectV2Error(await one({ shape: [1, 785] }), 400, /shaped \[N, 784\]/);
    expectV2Error(await one({ datatype: 'FP33' }), 400, /does not define/);
    expectV2Error(await one({ datatype: 'INT32' }), 400, /takes FP32, FP64, UINT8, BYTES/);
    expectV2Error(await one({ data: [...flat(1).slice(1), 256] }), 400, /0–255/);
    expectV2Error(await one({ data: [...flat(1).slice(1), 'x'] }), 400, /not a number/);
    expectV2Error(await one({ shape: [0, 784], data: [] }), 400, /at least one image/);
    expectV2Error(await one({ shape: [257, 784], data: [] }), 400, /MAX_BATCH/);
    expectV2Error(await one({}, { outputs: [{ name: 'logits' }] }), 400, /unknown output "logits"/);
    expectV2Error(await one({ data: [[flat(1)]] }), 400, /nested deeper than its shape/);
    expectV2Error(
      await infer({ inputs: [{ name: 'i', shape: [1], datatype: 'BYTES', data: ['%%%'] }] }),
      400,
      /base64/,
    );
    expectV2Error(
      await infer({ inputs: [{ name: 'i', shape: [1], datatype: 'BYTES', data: ['aGVsbG8='] }] }),
      400,
      /image/,
    );
    expectV2Error(await infer({ input: [] }), 400, /inputs/);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expectV2Error(res, 415, /text\/plain/);
  });

  it('refuses binary bodies whose byte counts lie, with a 400 naming the counts', async () => {
    const input = { name: 'input', shape: [1, 784], datatype: 'FP32', raw: float32Bytes(flat(2)) };
    const { headers, payload } = tritonRequest([input]);
    const jsonLength = Number(headers['inference-header-content-length']);
    const post = (h: Record<string, string>, p: Buffer) =>
      t.app.inject({ method: 'POST', url: '/v2/models/digits/infer', headers: h, payload: p });
    expectV2Error(
      await post({ ...headers, 'inference-header-content-length': String(payload.length + 1) }, payload),
      400,
      /says \d[\d,]* bytes of JSON/,
    );
    expectV2Error(
      await post({ ...headers, 'inference-header-content-length': '-5' }, payload),
      400,
      /Inference-Header-Content-Length is "-5"/,
    );
    expectV2Error(
      await post({ ...headers, 'inference-header-content-length': String(jsonLength - 3) }, payload),
      400,
      /not valid/,
    );
    expectV2Error(await post(headers, payload.subarray(0, payload.length - 4)), 400, /only 3,132 bytes follow/);
    expectV2Error(await post(headers, Buffer.concat([payload, Buffer.alloc(8)])), 400, /8 bytes follow the JSON/);
    const short = tritonRequest([{ ...input, raw: input.raw.subarray(0, 3132) }]);
    expectV2Error(await post(short.headers, short.payload), 400, /binary_data_size is 3132 bytes.*make 3136/);
    const bytes = tritonRequest([
      { name: 'image', shape: [2], datatype: 'BYTES', raw: serializeByteTensor([syntheticPng(1)]) },
    ]);
    expectV2Error(await post(bytes.headers, bytes.payload), 400, /holds 1 elements, its shape says 2/);
    const lying = serializeByteTensor([syntheticPng(1)]);
    lying.writeUInt32LE(1e6, 0);
    const lied = tritonRequest([{ name: 'image', shape: [1], datatype: 'BYTES', raw: lying }]);
    expectV2Error(await post(lied.headers, lied.payload), 400, /says 1000000 bytes/);
    const noHeader = { 'content-type': 'application/json' };
    expectV2Error(await post(noHeader, payload), 400, /not valid/);
  });

  it('refuses a JSON body over its limit from Content-Length, with a 413', async () => {
    const huge = Buffer.alloc(t.config.MAX_BATCH * 784 * 8 + 70 * 1024, 0x20);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      headers: { 'content-type': 'application/json' },
      payload: huge,
    });
    expectV2Error(res, 413, /limit of 1,671,168|limit of 1671168/);
  });
});
