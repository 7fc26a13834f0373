import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { storeTrainedModel, syntheticImage, syntheticPng } from '../../helpers/model.js';
import { openApiChecker, type Exchange } from '../../helpers/openapi-check.js';
import { float32Bytes, float64Bytes, readTritonAnswer, serializeByteTensor, tritonRequest } from '../../helpers/v2.js';

/**
 * V2 traffic (health, metadata, ready, infer in each datatype and shape, JSON and binary,
 * errors) checked against the protocol's official OpenAPI document, and ordinary /v1 traffic
 * against the service's own openapi.yaml: every violation is listed, and there must be none.
 * A binary exchange is checked as the V2 exchange it stands for: tensors decoded into `data`.
 */
const official = fileURLToPath(
  new URL('../../fixtures/open-inference-protocol/open_inference_rest.yaml', import.meta.url),
);
const ours = fileURLToPath(new URL('../../../openapi.yaml', import.meta.url));
const flat = (k: number) => Array.from(syntheticImage(k));

describe('conformance to the OpenAPI documents', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await storeTrainedModel(t.deps, { registerAs: 'digits' });
  });
  afterAll(() => t.close());

  const exchange = (
    method: string,
    url: string,
    headers: Record<string, string>,
    requestJson: unknown,
    res: LightMyRequestResponse,
  ): Exchange => {
    const type = String(res.headers['content-type'] ?? '');
    let responseJson: unknown;
    if (type.startsWith('application/octet-stream')) {
      const { json, outputs } = readTritonAnswer(res.headers, res.rawPayload);
      responseJson = { ...json, outputs };
    } else if (type.startsWith('application/json')) responseJson = res.json();
    return {
      method,
      url,
      requestHeaders: headers,
      requestJson,
      status: res.statusCode,
      responseType: type,
      responseJson,
    };
  };

  async function v2Traffic(): Promise<Exchange[]> {
    const out: Exchange[] = [];
    const get = async (url: string) => out.push(exchange('GET', url, {}, undefined, await t.app.inject(url)));
    const post = async (url: string, body: object) =>
      out.push(exchange('POST', url, {}, body, await t.app.inject({ method: 'POST', url, payload: body })));
    const binary = async (url: string, input: Parameters<typeof tritonRequest>[0][0], data: unknown[]) => {
      const req = tritonRequest([input]);
      const res = await t.app.inject({ method: 'POST', url, ...req });
      // The request as V2 JSON: the binary input's tensor in `data`.
      const json = { inputs: [{ name: input.name, shape: input.shape, datatype: input.datatype, data }] };
      out.push(exchange('POST', url, req.headers, json, res));
    };
    for (const url of [
      '/v2/health/live',
      '/v2/health/ready',
      '/v2/',
      '/v2/models/digits',
      '/v2/models/digits/versions/1',
    ])
      await get(url);
    for (const url of ['/v2/models/digits/ready', '/v2/models/digits/versions/1/ready', '/v2/models/nope/versions/1'])
      await get(url);
    const infer = '/v2/models/digits/versions/1/infer';
    const px = [...flat(1), ...flat(2)];
    for (const [datatype, shape, data] of [
      ['FP32', [2, 784], px],
      [
        'FP64',
        [2, 28, 28],
        [flat(1), flat(2)].map((f) => Array.from({ length: 28 }, (_, r) => f.slice(r * 28, r * 28 + 28))),
      ],
      ['UINT8', [2, 28, 28, 1], px],
      ['BYTES', [2], [syntheticPng(1).toString('base64'), syntheticPng(2).toString('base64')]],
    ] as const)
      await post(infer, { id: `json-${datatype}`, inputs: [{ name: 'input', shape, datatype, data }] });
    await post('/v2/models/digits/infer', {
      inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(3) }],
      outputs: [{ name: 'class' }],
    });
    await binary(infer, { name: 'input', shape: [2, 784], datatype: 'FP32', raw: float32Bytes(px) }, px);
    await binary(infer, { name: 'input', shape: [2, 784], datatype: 'FP64', raw: float64Bytes(px) }, px);
    await binary(infer, { name: 'input', shape: [2, 28, 28], datatype: 'UINT8', raw: Buffer.from(px) }, px);
    const pngs = [syntheticPng(1), syntheticPng(2)];
    await binary(
      infer,
      { name: 'image', shape: [2], datatype: 'BYTES', raw: serializeByteTensor(pngs) },
      pngs.map((p) => p.toString('base64')),
    );
    // Errors: a shape that does not match its data, an unknown datatype, a lying byte count, unknown model and version.
    await post(infer, { inputs: [{ name: 'input', shape: [2, 784], datatype: 'FP32', data: flat(1) }] });
    await post(infer, { inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP24', data: flat(1) }] });
    await binary(infer, { name: 'input', shape: [2, 784], datatype: 'FP32', raw: float32Bytes(flat(1)) }, flat(1));
    await post('/v2/models/nope/versions/1/infer', {
      inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(1) }],
    });
    await post('/v2/models/digits/versions/9/infer', {
      inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(1) }],
    });
    return out;
  }

  it('V2 traffic shows no violation of open_inference_rest.yaml', async () => {
    const checker = openApiChecker(official, {
      normalise: (p) => p.replace(/\$\{([A-Z_]+)\}/g, '{$1}').replace(/\/$/, '') || '/',
      alsoMatch: (p) =>
        p.replace(/^\/v2\/models\/([^/]+)(\/ready|\/infer)?$/, '/v2/models/$1/versions/0$2').replace(/\/$/, ''),
      undeclaredErrors: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
    });
    const traffic = await v2Traffic();
    expect(traffic.map((x) => x.status)).toEqual([
      200, 200, 200, 200, 200, 200, 200, 404, 200, 200, 200, 200, 200, 200, 200, 200, 200, 400, 400, 400, 404, 404,
    ]);
    expect(traffic.flatMap((x) => checker.check(x))).toEqual([]);
  });

  it('ordinary /v1 traffic shows no violation of openapi.yaml, keys optional while none are set', async () => {
    const checker = openApiChecker(ours);
    const out: Exchange[] = [];
    const run = async (method: string, url: string, payload?: object) => {
      const res = await t.app.inject({ method: method as 'GET', url, payload });
      out.push(exchange(method, url, {}, payload, res));
    };
    for (const url of [
      '/healthz',
      '/readyz',
      '/v1/whoami',
      '/v1/models',
      '/v1/models/digits',
      '/v1/models/digits/versions',
      '/v1/models/digits/versions/1',
      '/v1/models/digits/history',
      '/v1/datasets',
      '/v1/datasets/mnist-sample',
      '/v1/training-jobs',
      '/v1/models/nope',
      '/v1/models/digits/metadata',
    ])
      await run('GET', url);
    await run('POST', '/v1/models/digits/predict', { pixels: flat(4) });
    await run('POST', '/v1/predict?model=digits', { instances: [flat(4), flat(5)] });
    await run('POST', '/v1/models/digits:predict', { instances: [flat(4)] });
    await run('POST', '/v1/training-jobs', { epochs: 1 });
    expect(out.map((x) => x.status)).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404, 200, 200, 200, 200, 202,
    ]);
    expect(out.flatMap((x) => checker.check(x))).toEqual([]);
    // With bearer auth required, as the document once declared, every keyless /v1 call is a violation.
    const dir = await mkdtemp(join(tmpdir(), 'openapi-'));
    const required = join(dir, 'openapi.yaml');
    await writeFile(required, (await readFile(ours, 'utf8')).replace(/^\s+- \{\}\n/gm, ''));
    const strict = openApiChecker(required);
    const keyless = out.filter((x) => x.url.startsWith('/v1/')).length;
    expect(out.flatMap((x) => strict.check(x)).filter((p) => p.includes('requires bearerAuth'))).toHaveLength(keyless);
    await rm(dir, { recursive: true });
  });

  it('reports what is not in the document and answers that do not match it', () => {
    const checker = openApiChecker(ours);
    const bogus: Exchange = { method: 'GET', url: '/v1/nowhere', requestHeaders: {}, status: 200, responseType: '' };
    expect(checker.check(bogus)).toEqual(['GET /v1/nowhere: no operation in the document']);
    const wrong: Exchange = {
      ...bogus,
      url: '/v1/whoami',
      responseType: 'application/json',
      responseJson: { tenant: 5 },
    };
    expect(checker.check(wrong).join('\n')).toMatch(/200 answer/);
  });
});
