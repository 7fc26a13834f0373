import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { SIDE, storeTrainedModel, syntheticImage, syntheticPng } from '../../helpers/model.js';

/**
 * Edge cases of the V2 and TF Serving routes: data that matches its element count but not its
 * shape, bodies sent the way common clients send them, and requests without a body.
 */
const flat = (k: number) => Array.from(syntheticImage(k));
const rows = (k: number) => Array.from({ length: SIDE }, (_, r) => flat(k).slice(r * SIDE, (r + 1) * SIDE));

describe('V2 and TF Serving edge cases', () => {
  let t: TestApp;
  let id: string;
  beforeAll(async () => {
    t = await buildTestApp();
    ({ id } = await storeTrainedModel(t.deps, { registerAs: 'digits' }));
  });
  afterAll(() => t.close());

  const infer = (input: object) =>
    t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      payload: { inputs: [{ name: 'input', ...input }] },
    });
  const expectError = (res: { statusCode: number; json(): unknown }, status: number, message: RegExp) => {
    expect([res.statusCode, Object.keys(res.json() as object)]).toEqual([status, ['error']]);
    expect((res.json() as { error: string }).error).toMatch(message);
  };

  it('refuses nested data that is ragged or half nested, though its element count is right', async () => {
    const [a, b] = [flat(1), flat(2)];
    // 2 × 784 elements in all, but rows of 884 and 684: the second image would start 100 pixels early.
    const ragged = { shape: [2, 784], datatype: 'FP32', data: [[...a, ...b.slice(0, 100)], b.slice(100)] };
    expectError(await infer(ragged), 400, /depth 1 holds 884 entries, shape \[2, 784\] says 784/);
    // One row flat, then 27 rows nested: 784 values, no image shape.
    const r = rows(3);
    const mixed = { shape: [1, 28, 28], datatype: 'FP32', data: [[...r[0]!, ...r.slice(1)]] };
    expectError(await infer(mixed), 400, /depth 1 holds 55 entries, shape \[1, 28, 28\] says 784/);
    expectError(await infer({ shape: [2, 784], datatype: 'FP32', data: [a, 7] }), 400, /mixes lists and values/);
    // 28 rows where 27 hold 28 values and one 29, the last 27.
    const uneven = rows(4).map((row) => [...row]);
    uneven[0]!.push(uneven[1]!.shift()!);
    expectError(await infer({ shape: [1, 28, 28], datatype: 'UINT8', data: [uneven] }), 400, /holds 29 entries/);
    // Each image as its 784 values under a [N, 28, 28] shape stays accepted, as does exact nesting.
    for (const data of [
      [a, b],
      [rows(1), rows(2)],
    ]) {
      const res = await infer({ shape: [2, 28, 28], datatype: 'FP32', data });
      expect(res.statusCode).toBe(200);
      expect(res.json().outputs.find((o: { name: string }) => o.name === 'class').data).toEqual([1, 2]);
    }
  });

  it('reads the JSON of curl -d (a form content type) and of clients that send no content type', async () => {
    const tf = JSON.stringify({ instances: [flat(5)] });
    const v2 = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(5) }] });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const headers of [form, {}]) {
      const a = await t.app.inject({ method: 'POST', url: '/v1/models/digits:predict', headers, payload: tf });
      expect([a.statusCode, Object.keys(a.json())]).toEqual([200, ['predictions']]);
      const b = await t.app.inject({ method: 'POST', url: '/v2/models/digits/infer', headers, payload: v2 });
      expect([b.statusCode, b.json().model_name]).toEqual([200, 'digits']);
    }
    // A type that is not JSON is still refused, naming it.
    const html = { 'content-type': 'text/html' };
    expectError(
      await t.app.inject({ method: 'POST', url: '/v1/models/digits:predict', headers: html, payload: tf }),
      415,
      /text\/html/,
    );
    expectError(
      await t.app.inject({ method: 'POST', url: '/v2/models/digits/infer', headers: html, payload: v2 }),
      415,
      /text\/html/,
    );
  });

  it('answers V2 reads whatever content type a GET carries: they have no body', async () => {
    const headers = { 'content-type': 'text/plain' };
    expect((await t.app.inject({ url: '/v2/health/live', headers })).json()).toEqual({ live: true });
    expect((await t.app.inject({ url: '/v2/models/digits/ready', headers })).json()).toEqual({
      name: 'digits',
      ready: true,
    });
  });

  it('answers 404 for a model id under a version it is not, on every route that takes both', async () => {
    const v2 = { inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(6) }] };
    const routes = (v: number) => [
      { method: 'POST' as const, url: `/v2/models/${id}/versions/${v}/infer`, payload: v2 },
      { method: 'GET' as const, url: `/v2/models/${id}/versions/${v}` },
      { method: 'GET' as const, url: `/v2/models/${id}/versions/${v}/ready` },
      { method: 'POST' as const, url: `/v1/models/${id}/versions/${v}:predict`, payload: { instances: [flat(6)] } },
      { method: 'GET' as const, url: `/v1/models/${id}/versions/${v}/metadata` },
      { method: 'POST' as const, url: `/v1/models/${id}/versions/${v}/predict`, payload: { pixels: flat(6) } },
    ];
    for (const route of routes(999)) {
      const res = await t.app.inject(route);
      expect([route.url, res.statusCode, JSON.stringify(res.json())]).toEqual([
        route.url,
        404,
        expect.stringContaining('version 999'),
      ]);
    }
    // The id's own version answers.
    for (const route of routes(1))
      expect([route.url, (await t.app.inject(route)).statusCode]).toEqual([route.url, 200]);
  });

  it('names the TF Serving instance at fault once', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/models/digits:predict',
      payload: { instances: [flat(1), [[[1]]]] },
    });
    expectError(res, 400, /^instances\[1\]: expected 28 rows, got 1$/);
  });

  it('refuses a fraction in UINT8 data, and rounds it in FP32 data as /v1 does', async () => {
    const data = [...flat(2).slice(0, 783), 3.5];
    expectError(
      await infer({ shape: [1, 784], datatype: 'UINT8', data }),
      400,
      /element 783 is 3.5; UINT8 values are whole/,
    );
    expect((await infer({ shape: [1, 784], datatype: 'FP32', data })).statusCode).toBe(200);
  });

  it('refuses binary_data flags that are not true or false instead of guessing', async () => {
    const inputs = [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(2) }];
    const post = (payload: object) => t.app.inject({ method: 'POST', url: '/v2/models/digits/infer', payload });
    expectError(
      await post({ inputs, parameters: { binary_data_output: 'true' } }),
      400,
      /parameters.binary_data_output must be true or false, not "true"/,
    );
    expectError(
      await post({ inputs, outputs: [{ name: 'class', parameters: { binary_data: 1 } }] }),
      400,
      /output "class" parameters.binary_data must be true or false, not 1/,
    );
    const json = await post({ inputs, outputs: [{ name: 'class', parameters: { binary_data: false } }] });
    expect(json.json().outputs).toEqual([{ name: 'class', datatype: 'INT64', shape: [1], data: [2] }]);
  });

  it('takes a lone {"b64"} as a columnar batch of one, named or not', async () => {
    const b64 = { b64: syntheticPng(4).toString('base64') };
    for (const inputs of [b64, { input: b64 }, { input: [b64] }]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/models/digits:predict', payload: { inputs } });
      expect([res.statusCode, res.json().outputs?.length]).toEqual([200, 1]);
    }
  });

  it('refuses a compressed V2 body with a 415 that names its encoding', async () => {
    const json = Buffer.from(
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(1) }] }),
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/models/digits/infer',
      headers: { 'content-encoding': 'gzip', 'inference-header-content-length': String(json.length) },
      payload: gzipSync(json),
    });
    expectError(res, 415, /Content-Encoding "gzip" is not accepted/);
  });
});
