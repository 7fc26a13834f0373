import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { multipart } from '../helpers/http.js';
import { storeTrainedModel, syntheticPng } from '../helpers/model.js';

/**
 * Every /v1 route of the OpenAPI document × every kind of caller, with the status each must get
 * on a resource of tenant A. The routes come from the app itself: a route added without a row
 * here fails the first test.
 */
const KEYS = {
  owner: 'tenant-a-train-key-0123456789',
  ownerPredict: 'tenant-a-predict-key-012345',
  otherTrain: 'tenant-b-train-key-0123456789',
  otherPredict: 'tenant-b-predict-key-012345',
  admin: 'operator-admin-key-0123456789',
} as const;
type Who = keyof typeof KEYS | 'none';
const WHO: Who[] = ['owner', 'otherTrain', 'otherPredict', 'ownerPredict', 'admin', 'none'];
const API_KEYS = [
  `${KEYS.owner}:train+predict:team-a`,
  `${KEYS.ownerPredict}:predict:team-a`,
  `${KEYS.otherTrain}:train:team-b`,
  `${KEYS.otherPredict}:predict:team-b`,
  `${KEYS.admin}:admin:ops`,
].join(',');

// Statuses in the order of WHO: owner, other tenant's train key, other tenant's predict key,
// owner's predict key, admin, no key.
const row = (...s: number[]) => Object.fromEntries(WHO.map((w, i) => [w, s[i]!])) as Record<Who, number>;
const EXPECTED: Record<string, Record<Who, number>> = {
  'GET /v1/training-jobs': row(200, 200, 403, 403, 200, 401),
  'POST /v1/training-jobs': row(202, 202, 403, 403, 202, 401),
  'GET /v1/training-jobs/{id}': row(200, 404, 403, 403, 200, 401),
  'DELETE /v1/training-jobs/{id}': row(204, 404, 403, 403, 204, 401),
  'POST /v1/training-jobs/{id}/cancel': row(202, 404, 403, 403, 202, 401),
  'GET /v1/training-jobs/{id}/events': row(200, 404, 403, 403, 200, 401),
  'GET /v1/datasets': row(200, 200, 403, 403, 200, 401),
  'POST /v1/datasets': row(201, 201, 403, 403, 201, 401),
  'GET /v1/datasets/{id}': row(200, 404, 403, 403, 200, 401),
  'DELETE /v1/datasets/{id}': row(204, 404, 403, 403, 204, 401),
  'GET /v1/datasets/{id}/preview.png': row(200, 404, 403, 403, 200, 401),
  'GET /v1/models': row(200, 200, 200, 200, 200, 401),
  'GET /v1/models/{id}': row(200, 404, 404, 200, 200, 401),
  'DELETE /v1/models/{id}': row(204, 404, 403, 403, 204, 401),
  'GET /v1/models/{id}/model.json': row(200, 404, 404, 200, 200, 401),
  'GET /v1/models/{id}/weights.bin': row(200, 404, 404, 200, 200, 401),
  'PATCH /v1/models/{id}': row(200, 404, 403, 403, 200, 401),
  'GET /v1/models/{id}/versions': row(200, 404, 404, 200, 200, 401),
  'GET /v1/models/{id}/versions/{version}': row(200, 404, 404, 200, 200, 401),
  'PATCH /v1/models/{id}/versions/{version}': row(200, 404, 403, 403, 200, 401),
  'DELETE /v1/models/{id}/versions/{version}': row(204, 404, 403, 403, 204, 401),
  'PUT /v1/models/{id}/aliases/{alias}': row(200, 404, 403, 403, 200, 401),
  'DELETE /v1/models/{id}/aliases/{alias}': row(204, 404, 403, 403, 204, 401),
  'GET /v1/models/{id}/history': row(200, 404, 404, 200, 200, 401),
  'POST /v1/models/{id}/versions/{version}/predict': row(200, 404, 404, 200, 200, 401),
  'POST /v1/predict': row(200, 404, 404, 200, 200, 401),
  'POST /v1/models/{id}/predict': row(200, 404, 404, 200, 200, 401),
  'GET /v1/whoami': row(200, 200, 200, 200, 200, 401),
  // TensorFlow Serving's REST API beside the routes above.
  'GET /v1/models/{id}/metadata': row(200, 404, 404, 200, 200, 401),
  'GET /v1/models/{id}/versions/{version}/metadata': row(200, 404, 404, 200, 200, 401),
  'POST /v1/models/{id}:predict': row(200, 404, 404, 200, 200, 401),
  'POST /v1/models/{id}/versions/{version}:predict': row(200, 404, 404, 200, 200, 401),
  'POST /v1/models/{id}/labels/{alias}:predict': row(200, 404, 404, 200, 200, 401),
  // The Open Inference Protocol (V2): health and server metadata are open like /healthz.
  'GET /v2': row(200, 200, 200, 200, 200, 200),
  'GET /v2/': row(200, 200, 200, 200, 200, 200),
  'GET /v2/health/live': row(200, 200, 200, 200, 200, 200),
  'GET /v2/health/ready': row(200, 200, 200, 200, 200, 200),
  'GET /v2/models/{name}': row(200, 404, 404, 200, 200, 401),
  'GET /v2/models/{name}/ready': row(200, 404, 404, 200, 200, 401),
  'GET /v2/models/{name}/versions/{version}': row(200, 404, 404, 200, 200, 401),
  'GET /v2/models/{name}/versions/{version}/ready': row(200, 404, 404, 200, 200, 401),
  'POST /v2/models/{name}/infer': row(200, 404, 404, 200, 200, 401),
  'POST /v2/models/{name}/versions/{version}/infer': row(200, 404, 404, 200, 200, 401),
  'GET /v1/admin/tenants': row(403, 403, 403, 403, 200, 401),
};

describe('tenant isolation, route by route', () => {
  let t: TestApp;
  const asA = { authorization: `Bearer ${KEYS.owner}` };
  const headersOf = (who: Who) => (who === 'none' ? {} : { authorization: `Bearer ${KEYS[who]}` });
  let shared: { job: string; finishedJob: string; dataset: string; model: string; version: number };
  /** Tenant A's registered model: the routes by name act on it. */
  const NAME = 'digits-a';

  const newJob = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/training-jobs', headers: asA, payload: { epochs: 1 } });
    expect(res.statusCode).toBe(202);
    return (res.json() as { id: string }).id;
  };
  const cancelledJob = async () => {
    const id = await newJob();
    const res = await t.app.inject({ method: 'POST', url: `/v1/training-jobs/${id}/cancel`, headers: asA });
    expect(res.json()).toMatchObject({ state: 'cancelled' });
    return id;
  };
  const uploadBody = async () => multipart([['name', 'digits of A'], ...Object.entries(makeIdxFiles(20, 10))]);
  const newDataset = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/datasets', ...(await withAuth(await uploadBody())) });
    expect(res.statusCode).toBe(201);
    return (res.json() as { id: string }).id;
  };
  const withAuth = async (m: { headers: Record<string, string>; payload: Buffer }) => ({
    ...m,
    headers: { ...m.headers, ...asA },
  });
  const newModel = async () =>
    (
      await storeTrainedModel(
        { models: t.deps.models.forTenant('team-a'), registry: t.deps.registry },
        { tenant: 'team-a', registerAs: NAME },
      )
    ).id;
  const newVersion = async () => (await t.deps.registry.versionOfId('team-a', await newModel()))!.version;

  beforeAll(async () => {
    t = await buildTestApp({ API_KEYS });
    shared = {
      job: await newJob(),
      finishedJob: await cancelledJob(),
      dataset: await newDataset(),
      model: await newModel(),
      version: 1,
    };
  });
  afterAll(() => t.close());

  /**
   * Every /v1 route the app registered, HEAD twins included, from its own route table (not the
   * OpenAPI document, which a hidden route would escape), in the document's `{id}` syntax.
   */
  function routesOfTheApp(): string[] {
    const served = t.app.servedRoutes
      .filter((r) => /^\/v[12](\/|$)/.test(r.split(' ')[1]!))
      .map((r) =>
        r
          .replace(/\(\^[^)]*\)/g, '') // a param's pattern
          .replace(/::/g, '\0') // a literal colon (TF Serving's :predict)
          .replace(/:([a-zA-Z]+)/g, '{$1}')
          .replace(/\0/g, ':'),
      );
    return [...new Set(served)].sort();
  }

  /** What a route must answer each caller; a HEAD route answers as its GET. */
  const expected = (route: string) => EXPECTED[route] ?? EXPECTED[route.replace(/^HEAD /, 'GET ')];

  it('has an expectation for every /v1 route the app serves, and none for a route it does not', () => {
    const routes = routesOfTheApp();
    expect(routes.filter((r) => !r.startsWith('HEAD '))).toEqual(Object.keys(EXPECTED).sort());
    expect(routes.filter((r) => expected(r) === undefined)).toEqual([]);
  });

  /** The request for one cell: destructive routes get a fresh resource of A each time. */
  async function request(route: string, who: Who) {
    const [method, template] = route.split(' ') as [string, string];
    let id = template.startsWith('/v1/training-jobs')
      ? shared.job
      : template.startsWith('/v1/datasets')
        ? shared.dataset
        : shared.model;
    if (route === 'POST /v1/training-jobs/{id}/cancel') id = await newJob();
    if (route === 'DELETE /v1/training-jobs/{id}' || route.endsWith('/events')) id = await cancelledJob();
    if (route === 'DELETE /v1/datasets/{id}') id = await newDataset();
    if (route === 'DELETE /v1/models/{id}') id = await newModel();
    const byName =
      /\/(versions|aliases|history|metadata|labels)|:predict/.test(template) || route === 'PATCH /v1/models/{id}';
    const version = route === 'DELETE /v1/models/{id}/versions/{version}' ? await newVersion() : shared.version;
    if (route === 'DELETE /v1/models/{id}/aliases/{alias}')
      await t.deps.registry.moveAlias('team-a', NAME, 'staging', 1, { by: 'test' });
    const url = template
      .replace('{id}', byName ? NAME : id)
      .replace('{name}', NAME)
      .replace('{version}', String(version))
      .replace('{alias}', route.includes('/labels/') ? 'latest' : 'staging');
    const headers = headersOf(who);
    if (method === 'PATCH') return t.app.inject({ method, url, headers, payload: { description: 'digits of A' } });
    if (method === 'PUT') return t.app.inject({ method, url, headers, payload: { version: 1 } });
    if (route === 'POST /v1/training-jobs') return t.app.inject({ method, url, headers, payload: { epochs: 1 } });
    if (route === 'POST /v1/datasets') {
      const body = await uploadBody();
      return t.app.inject({ method, url, headers: { ...body.headers, ...headers }, payload: body.payload });
    }
    const pixels = Array.from({ length: 784 }, (_, i) => i % 255);
    if (route.includes(':predict')) return t.app.inject({ method, url, headers, payload: { instances: [pixels] } });
    if (route.endsWith('/infer')) {
      const input = { name: 'input', shape: [1, 784], datatype: 'FP32', data: pixels };
      return t.app.inject({ method, url, headers, payload: { inputs: [input] } });
    }
    if (route.includes('predict')) {
      const query = route === 'POST /v1/predict' ? `?model=${shared.model}` : '';
      return t.app.inject({
        method,
        url: `${url}${query}`,
        headers: { ...headers, 'content-type': 'image/png' },
        payload: syntheticPng(3),
      });
    }
    return t.app.inject({ method: method as 'GET', url, headers });
  }

  it('answers every route on every HEAD twin as on its GET', async () => {
    for (const route of routesOfTheApp().filter((r) => r.startsWith('HEAD '))) {
      const statuses = expected(route)!;
      for (const who of WHO) {
        const res = await request(route, who);
        expect({ route, who, status: res.statusCode }).toEqual({ route, who, status: statuses[who] });
      }
    }
  });

  for (const [route, statuses] of Object.entries(EXPECTED)) {
    it(`${route}: ${WHO.map((w) => `${w} ${statuses[w]}`).join(', ')}`, async () => {
      for (const who of WHO) {
        const res = await request(route, who);
        expect({ who, status: res.statusCode }).toEqual({ who, status: statuses[who] });
        // A refusal for another tenant's resource says exactly what an unknown id says.
        // (In the standard protocols' own shape on their routes.)
        const standard = route.includes(':predict') || route.includes('/metadata') || route.includes(' /v2');
        if (res.statusCode === 404 && res.body)
          expect(res.json()).toMatchObject(
            standard
              ? { error: expect.stringMatching(/not found|no model/i) }
              : { statusCode: 404, code: expect.stringMatching(/_NOT_FOUND$/) },
          );
      }
    });
  }

  it("lists show the caller's tenant only; an admin sees every tenant, and ?tenant= filters", async () => {
    const ids = async (url: string, who: Who) =>
      ((await t.app.inject({ url, headers: headersOf(who) })).json() as { items: { id: string }[] }).items.map(
        (i) => i.id,
      );
    expect(await ids('/v1/training-jobs', 'owner')).toContain(shared.job);
    expect(await ids('/v1/training-jobs', 'otherTrain')).not.toContain(shared.job);
    expect(await ids('/v1/training-jobs?tenant=team-a', 'admin')).toContain(shared.job);
    expect(await ids('/v1/training-jobs?tenant=team-b', 'admin')).not.toContain(shared.job);
    expect(await ids('/v1/datasets', 'owner')).toContain(shared.dataset);
    expect(await ids('/v1/datasets', 'otherTrain')).not.toContain(shared.dataset);
    expect(await ids('/v1/datasets', 'admin')).toContain(shared.dataset);
    expect(await ids('/v1/models', 'ownerPredict')).toContain(shared.model);
    expect(await ids('/v1/models', 'otherPredict')).not.toContain(shared.model);
    expect(await ids('/v1/models', 'admin')).toContain(shared.model);
    const forbidden = await t.app.inject({ url: '/v1/models?tenant=team-a', headers: headersOf('otherTrain') });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: 'TENANT_FORBIDDEN' });
  });

  it('shows the owning tenant to admins only', async () => {
    const asOwner = (await t.app.inject({ url: `/v1/models/${shared.model}`, headers: asA })).json();
    const asAdmin = (await t.app.inject({ url: `/v1/models/${shared.model}`, headers: headersOf('admin') })).json();
    expect(asOwner).not.toHaveProperty('tenant');
    expect(asAdmin).toMatchObject({ id: shared.model, tenant: 'team-a' });
    const job = (await t.app.inject({ url: `/v1/training-jobs/${shared.job}`, headers: headersOf('admin') })).json();
    expect(job).toMatchObject({ tenant: 'team-a' });
  });

  it("cannot train on another tenant's dataset: 404, as for a dataset that does not exist", async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/training-jobs',
      headers: headersOf('otherTrain'),
      payload: { dataset: shared.dataset, epochs: 1 },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });

  it('namespaces idempotency keys by tenant: the same key from two tenants makes two jobs', async () => {
    const post = (who: Who, epochs: number) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/training-jobs',
        headers: { ...headersOf(who), 'idempotency-key': 'nightly-run-1' },
        payload: { epochs },
      });
    const a = await post('owner', 1);
    const b = await post('otherTrain', 2); // another body: no 409, it is B's own key
    const again = await post('owner', 1);
    expect([a.statusCode, b.statusCode, again.statusCode]).toEqual([202, 202, 200]);
    expect(a.json().id).not.toBe(b.json().id);
    expect(again.json().id).toBe(a.json().id);
  });

  it('tells each key its tenant and scopes, and admins the usage of every tenant', async () => {
    const me = (await t.app.inject({ url: '/v1/whoami', headers: headersOf('ownerPredict') })).json();
    expect(me).toMatchObject({ tenant: 'team-a', scopes: ['predict'], keyed: true });
    const usage = (await t.app.inject({ url: '/v1/admin/tenants', headers: headersOf('admin') })).json() as {
      items: { tenant: string; jobs: Record<string, number>; datasets: { count: number }; models: { count: number } }[];
    };
    expect(usage.items.map((u) => u.tenant)).toEqual(['default', 'ops', 'team-a', 'team-b']);
    const a = usage.items.find((u) => u.tenant === 'team-a')!;
    expect(a.jobs.queued).toBeGreaterThanOrEqual(1);
    expect(a.jobs.cancelled).toBeGreaterThanOrEqual(1);
    expect(a.datasets.count).toBeGreaterThanOrEqual(1);
    expect(a.models.count).toBeGreaterThanOrEqual(1);
  });
});
