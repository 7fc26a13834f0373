import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { SIDE, storeTrainedModel, syntheticImage, syntheticPng } from '../../helpers/model.js';
import { float32Bytes, readTritonAnswer, tritonRequest } from '../../helpers/v2.js';

const flat = (k: number, variant = 0) => Array.from(syntheticImage(k, variant));
const rows = (k: number) => Array.from({ length: SIDE }, (_, r) => flat(k).slice(r * SIDE, (r + 1) * SIDE));
const argmax = (row: number[]) => row.indexOf(Math.max(...row));
const DIGITS_SENT = [1, 4, 5, 8, 2];

describe('TensorFlow Serving REST routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await storeTrainedModel(t.deps, { registerAs: 'digits' });
    await storeTrainedModel(t.deps, { registerAs: 'digits' });
    await t.deps.registry.moveAlias('default', 'digits', 'production', 1, { by: 'test' });
  });
  afterAll(() => t.close());

  const predict = (payload: object, url = '/v1/models/digits:predict') =>
    t.app.inject({ method: 'POST', url, payload });
  const expectTfError = (res: { statusCode: number; json(): unknown }, status: number, message: RegExp) => {
    expect(res.statusCode).toBe(status);
    const body = res.json() as { error: string };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(message);
  };

  it('predicts instances in every form: flat, 28×28, 28×28×1, named, {"b64"}', async () => {
    const forms: ((k: number) => unknown)[] = [
      (k: number) => flat(k),
      (k: number) => rows(k),
      (k: number) => rows(k).map((r) => r.map((v) => [v])),
      (k: number) => ({ input: flat(k) }),
      (k: number) => ({ b64: syntheticPng(k).toString('base64') }),
      (k: number) => ({ image: { b64: syntheticPng(k).toString('base64') } }),
    ];
    for (const [i, form] of forms.entries()) {
      const res = await predict({ instances: DIGITS_SENT.map(form) });
      expect({ form: i, status: res.statusCode }).toEqual({ form: i, status: 200 });
      const { predictions } = res.json() as { predictions: number[][] };
      expect({ form: i, classes: predictions.map(argmax) }).toEqual({ form: i, classes: DIGITS_SENT });
      expect(predictions[0]).toHaveLength(10);
    }
  });

  it('predicts columnar inputs, bare or named, and answers "outputs"', async () => {
    for (const inputs of [DIGITS_SENT.map((k) => flat(k)), { input: DIGITS_SENT.map(rows) }]) {
      const res = await predict({ signature_name: 'serving_default', inputs });
      expect(res.statusCode).toBe(200);
      expect(Object.keys(res.json())).toEqual(['outputs']);
      expect((res.json() as { outputs: number[][] }).outputs.map(argmax)).toEqual(DIGITS_SENT);
    }
  });

  it('resolves a name as /v1 does: production, a version, a label', async () => {
    const meta = async (url: string) => (await t.app.inject(url)).json().model_spec;
    expect(await meta('/v1/models/digits/metadata')).toEqual({ name: 'digits', signature_name: '', version: '1' });
    expect(await meta('/v1/models/digits/versions/2/metadata')).toMatchObject({ version: '2' });
    const sig = (await t.app.inject('/v1/models/digits/metadata')).json().metadata.signature_def.signature_def;
    expect(sig.serving_default.inputs.input).toMatchObject({ dtype: 'DT_FLOAT' });
    expect(sig.serving_default.outputs.probabilities.tensor_shape.dim.map((d: { size: string }) => d.size)).toEqual([
      '-1',
      '10',
    ]);
    const body = { instances: [flat(6)] };
    for (const url of ['/v1/models/digits/versions/2:predict', '/v1/models/digits/labels/latest:predict']) {
      const res = await predict(body, url);
      expect({ url, status: res.statusCode, cls: argmax(res.json().predictions[0]) }).toEqual({
        url,
        status: 200,
        cls: 6,
      });
    }
  });

  it('answers errors as TF Serving does, {"error": …}', async () => {
    expectTfError(await predict({ instances: [flat(1)] }, '/v1/models/nope:predict'), 404, /nope/);
    expectTfError(await predict({ instances: [flat(1)] }, '/v1/models/digits/versions/7:predict'), 404, /version 7/);
    expectTfError(await predict({ instances: [flat(1)] }, '/v1/models/digits/labels/gone:predict'), 404, /gone/);
    expectTfError(await predict({ instances: [flat(1)], signature_name: 'classify' }), 400, /"classify" not found/);
    expectTfError(await predict({ instances: [flat(1)], inputs: [flat(1)] }), 400, /one of them/);
    expectTfError(await predict({}), 400, /one of them/);
    expectTfError(await predict({ instances: [] }), 400, /empty/);
    expectTfError(await predict({ instances: flat(1) }), 400, /wrap one image in a list/);
    expectTfError(await predict({ instances: [flat(1).slice(1)] }), 400, /instances\[0\].*783/);
    expectTfError(await predict({ instances: [{ b64: '***' }] }), 400, /base64/);
    expectTfError(await predict({ instances: [{ b64: 'aGVsbG8=' }] }), 400, /image/);
    expectTfError(await predict({ instances: [{ a: 1, b: 2 }] }), 400, /2 keys/);
    expectTfError(await predict({ instances: Array.from({ length: 257 }, () => [0]) }), 400, /MAX_BATCH/);
    expectTfError(await predict({ instance: [] }), 400, /unknown field "instance"/);
    expectTfError(await t.app.inject('/v1/models/nope/metadata'), 404, /nope/);
    const huge = `{"instances": [${'0,'.repeat(1_000_000)}0]}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/models/digits:predict',
      headers: { 'content-type': 'application/json' },
      payload: huge,
    });
    expectTfError(res, 413, /limit of 1,671,168 bytes/);
  });

  it('gives the same classes through /v1/predict, V2 infer (JSON and binary) and TF Serving :predict', async () => {
    const digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const images = digits.map((k) => flat(k, 3));
    const v1 = await t.app.inject({ method: 'POST', url: '/v1/models/digits/predict', payload: { instances: images } });
    const v1Classes = (v1.json() as { predictions: { class: number }[] }).predictions.map((p) => p.class);
    const v2 = await t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      payload: { inputs: [{ name: 'input', shape: [10, 784], datatype: 'FP32', data: images.flat() }] },
    });
    const v2Classes = v2.json().outputs.find((o: { name: string }) => o.name === 'class').data;
    const triton = tritonRequest([
      { name: 'input', shape: [10, 784], datatype: 'FP32', raw: float32Bytes(images.flat()) },
    ]);
    const bin = await t.app.inject({ method: 'POST', url: '/v2/models/digits/infer', ...triton });
    const binClasses = readTritonAnswer(bin.headers, bin.rawPayload).outputs.find((o) => o.name === 'class')!.data;
    const tf = await predict({ instances: images });
    const tfClasses = (tf.json() as { predictions: number[][] }).predictions.map(argmax);
    expect(v1Classes).toEqual(digits);
    expect({ v2Classes, binClasses, tfClasses }).toEqual({
      v2Classes: v1Classes,
      binClasses: v1Classes,
      tfClasses: v1Classes,
    });
  });
});
