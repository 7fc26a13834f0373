import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { routes } from '../../../src/api/routes/index.js';
import tfServing from '../../../src/api/routes/tf-serving.js';
import v2Inference from '../../../src/api/routes/v2-inference.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { storeTrainedModel, syntheticImage, syntheticPng } from '../../helpers/model.js';

/**
 * The standard protocols' routes live beside the service's own: the app with them and the app
 * without them (same Redis, same storage, same models) answer every pre-existing route alike.
 * (The two GETs TF Serving reads its model status from carry `model_version_status` in both,
 * their handlers being shared: the last test shows that nothing else of them changed.)
 */
type Req = { route: string; method: string; url: string; payload?: unknown; headers?: Record<string, string> };

describe('V2 and TF Serving routes beside the existing ones', () => {
  let t: TestApp;
  let before: FastifyInstance;
  let id: string;
  beforeAll(async () => {
    t = await buildTestApp();
    id = (await storeTrainedModel(t.deps, { registerAs: 'digits' })).id;
    before = await buildApp(
      t.deps,
      { logger: false },
      routes.filter((r) => r !== v2Inference && r !== tfServing),
    );
    await before.ready();
  });
  afterAll(async () => {
    await before.close();
    await t.close();
  });

  const png = { 'content-type': 'image/png' };
  const pixels = Array.from(syntheticImage(4));
  const requests = (): Req[] => [
    { route: 'GET /healthz', method: 'GET', url: '/healthz' },
    { route: 'GET /readyz', method: 'GET', url: '/readyz' },
    { route: 'GET /', method: 'GET', url: '/' },
    { route: 'GET /assets/*', method: 'GET', url: '/assets/app.js' },
    { route: 'GET /v1/whoami', method: 'GET', url: '/v1/whoami' },
    { route: 'GET /v1/admin/tenants', method: 'GET', url: '/v1/admin/tenants' },
    { route: 'GET /v1/training-jobs', method: 'GET', url: '/v1/training-jobs' },
    { route: 'POST /v1/training-jobs', method: 'POST', url: '/v1/training-jobs', payload: { epochs: 0 } },
    { route: 'GET /v1/training-jobs/:id', method: 'GET', url: '/v1/training-jobs/nope' },
    { route: 'DELETE /v1/training-jobs/:id', method: 'DELETE', url: '/v1/training-jobs/nope' },
    { route: 'POST /v1/training-jobs/:id/cancel', method: 'POST', url: '/v1/training-jobs/nope/cancel' },
    { route: 'GET /v1/training-jobs/:id/events', method: 'GET', url: '/v1/training-jobs/nope/events' },
    { route: 'GET /v1/datasets', method: 'GET', url: '/v1/datasets' },
    { route: 'POST /v1/datasets', method: 'POST', url: '/v1/datasets', payload: { name: 'x' } },
    { route: 'GET /v1/datasets/:id', method: 'GET', url: '/v1/datasets/mnist-sample' },
    { route: 'GET /v1/datasets/:id/preview.png', method: 'GET', url: '/v1/datasets/mnist-sample/preview.png' },
    { route: 'HEAD /v1/datasets/:id/preview.png', method: 'HEAD', url: '/v1/datasets/mnist-sample/preview.png' },
    { route: 'DELETE /v1/datasets/:id', method: 'DELETE', url: '/v1/datasets/nope' },
    { route: 'GET /v1/models', method: 'GET', url: '/v1/models' },
    { route: 'GET /v1/models/:id', method: 'GET', url: '/v1/models/digits' },
    { route: 'GET /v1/models/:id', method: 'GET', url: `/v1/models/${id}` },
    { route: 'GET /v1/models/:id', method: 'GET', url: '/v1/models/digits:predict' },
    { route: 'GET /v1/models/:id', method: 'GET', url: '/v1/models/nope' },
    { route: 'PATCH /v1/models/:id', method: 'PATCH', url: '/v1/models/nope', payload: { description: 'x' } },
    { route: 'DELETE /v1/models/:id', method: 'DELETE', url: '/v1/models/nope' },
    { route: 'GET /v1/models/:id/model.json', method: 'GET', url: `/v1/models/${id}/model.json` },
    { route: 'HEAD /v1/models/:id/model.json', method: 'HEAD', url: `/v1/models/${id}/model.json` },
    { route: 'GET /v1/models/:id/weights.bin', method: 'GET', url: `/v1/models/${id}/weights.bin` },
    { route: 'HEAD /v1/models/:id/weights.bin', method: 'HEAD', url: `/v1/models/${id}/weights.bin` },
    { route: 'GET /v1/models/:id/versions', method: 'GET', url: '/v1/models/digits/versions' },
    { route: 'GET /v1/models/:id/versions/:version', method: 'GET', url: '/v1/models/digits/versions/1' },
    { route: 'GET /v1/models/:id/versions/:version', method: 'GET', url: '/v1/models/digits/versions/1:predict' },
    {
      route: 'PATCH /v1/models/:id/versions/:version',
      method: 'PATCH',
      url: '/v1/models/nope/versions/1',
      payload: { description: 'x' },
    },
    { route: 'DELETE /v1/models/:id/versions/:version', method: 'DELETE', url: '/v1/models/nope/versions/1' },
    {
      route: 'PUT /v1/models/:id/aliases/:alias',
      method: 'PUT',
      url: '/v1/models/nope/aliases/x',
      payload: { version: 1 },
    },
    { route: 'DELETE /v1/models/:id/aliases/:alias', method: 'DELETE', url: '/v1/models/nope/aliases/x' },
    { route: 'GET /v1/models/:id/history', method: 'GET', url: '/v1/models/digits/history' },
    {
      route: 'POST /v1/predict',
      method: 'POST',
      url: '/v1/predict?model=digits',
      headers: png,
      payload: syntheticPng(2),
    },
    { route: 'POST /v1/models/:id/predict', method: 'POST', url: '/v1/models/digits/predict', payload: { pixels } },
    {
      route: 'POST /v1/models/:id/versions/:version/predict',
      method: 'POST',
      url: '/v1/models/digits/versions/1/predict',
      headers: png,
      payload: syntheticPng(5),
    },
    // Paths that look like the new protocols' but are not theirs.
    { route: '(none)', method: 'POST', url: '/v1/models/digits:predictx', payload: { instances: [pixels] } },
    { route: '(none)', method: 'POST', url: '/v1/models/digits', payload: { instances: [pixels] } },
  ];

  const answer = async (app: FastifyInstance, r: Req) => {
    const res = await app.inject({
      method: r.method as 'GET',
      url: r.url,
      headers: r.headers,
      payload: r.payload as string,
    });
    const type = String(res.headers['content-type'] ?? '');
    const body: unknown =
      type.startsWith('application/json') && res.rawPayload.length > 0 ? res.json() : res.rawPayload.length;
    return { status: res.statusCode, type, etag: res.headers.etag, body };
  };

  it('covers every route the app served before the protocols', () => {
    const covered = new Set(requests().map((r) => r.route));
    const served = before.servedRoutes.filter(
      (r) => !/ \/(docs|metrics)/.test(r) && !(r.startsWith('HEAD ') && !r.includes('.')),
    );
    expect(served.filter((r) => !covered.has(r))).toEqual([]);
    expect(before.servedRoutes.filter((r) => !t.app.servedRoutes.includes(r))).toEqual([]);
  });

  it('answers each of them exactly as the app without the protocols does', async () => {
    for (const r of requests()) {
      const was = await answer(before, r);
      const now = await answer(t.app, r);
      expect({ url: r.url, ...now }).toEqual({ url: r.url, ...was });
    }
  });

  it("adds TF Serving's model status to a registered model and a version, and changes nothing else there", async () => {
    const model = (await t.app.inject('/v1/models/digits')).json();
    const { model_version_status: status, ...rest } = model;
    expect(status).toEqual([{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }]);
    expect(rest).toEqual(JSON.parse(JSON.stringify(await t.deps.registry.model('default', 'digits'))));
    const version = (await t.app.inject('/v1/models/digits/versions/1')).json();
    const { model_version_status: vStatus, ...vRest } = version;
    expect(vStatus).toEqual(status);
    expect(vRest).toEqual(JSON.parse(JSON.stringify(await t.deps.registry.version('default', 'digits', 1))));
  });
});
