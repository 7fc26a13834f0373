import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelMetadata } from '../../../src/models/store.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { expectError } from '../../helpers/http.js';
import { storeTrainedModel, syntheticPng } from '../../helpers/model.js';

const A = 'tenant-a-train-key-0123456789';
const B = 'tenant-b-train-key-0123456789';
const API_KEYS = `${A}:train+predict:team-a,${B}:train+predict:team-b`;

describe('registered models by name', () => {
  let t: TestApp;
  let v1: ModelMetadata;
  let v2: ModelMetadata;
  let other: ModelMetadata;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const get = (url: string, key = A) => t.app.inject({ url, headers: as(key) });
  const send = (method: 'PUT' | 'PATCH' | 'DELETE' | 'POST', url: string, payload?: object, key = A) =>
    t.app.inject({ method, url, headers: as(key), ...(payload ? { payload } : {}) });
  const predict = (url: string, key = A) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { ...as(key), 'content-type': 'image/png' },
      payload: syntheticPng(3, 900),
    });
  const store = (tenant: string, name: string, seed: number) =>
    storeTrainedModel(
      { models: t.deps.models.forTenant(tenant), registry: t.deps.registry },
      { tenant, registerAs: name, params: { seed }, trainCount: 200, testCount: 50 },
    );

  beforeAll(async () => {
    t = await buildTestApp({ API_KEYS });
    v1 = await store('team-a', 'digits', 1);
    v2 = await store('team-a', 'digits', 2);
    other = await store('team-b', 'digits', 3);
  }, 120_000);
  afterAll(() => t.close());

  it('answers a name with the registered model and a UUID with the stored model: the paths never collide', async () => {
    const byName = await get('/v1/models/digits');
    expect(byName.statusCode).toBe(200);
    expect(byName.json()).toMatchObject({ name: 'digits', latestVersion: 2, aliases: { latest: 2 } });
    const byId = await get(`/v1/models/${v1.id}`);
    expect(byId.json()).toMatchObject({ id: v1.id, jobId: v1.jobId });
    // Names are per tenant: B's "digits" is its own, and A's versions are not B's.
    expect((await get('/v1/models/digits', B)).json()).toMatchObject({ latestVersion: 1 });
    expectError(await get(`/v1/models/${v1.id}`, B), 404, 'MODEL_NOT_FOUND', /not found/);
    expectError(await get('/v1/models/unknown-name'), 404, 'MODEL_NOT_FOUND', /model "unknown-name" not found/);
  });

  it('lists versions newest first with metrics, aliases and lineage side by side', async () => {
    const res = await get('/v1/models/digits/versions');
    expect(res.statusCode).toBe(200);
    const items = (res.json() as { items: Record<string, unknown>[] }).items;
    expect(items.map((v) => [v.version, v.id, v.aliases])).toEqual([
      [2, v2.id, ['latest']],
      [1, v1.id, []],
    ]);
    expect(items[1]).toMatchObject({
      metrics: { testAccuracy: v1.metrics.testAccuracy, confusionMatrix: v1.metrics.confusionMatrix },
      lineage: {
        jobId: v1.jobId,
        seed: 1,
        dataset: 'synthetic',
        datasetDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    // The same data gives the same digest.
    expect((items[0]!.lineage as { datasetDigest: string }).datasetDigest).toBe(
      (items[1]!.lineage as { datasetDigest: string }).datasetDigest,
    );
    expectError(await get('/v1/models/digits/versions/9'), 404, 'MODEL_VERSION_NOT_FOUND', /no version 9/);
    const newest = (await get('/v1/models/digits/versions?limit=1')).json() as { items: { version: number }[] };
    expect(newest.items.map((v) => v.version)).toEqual([2]);
    expectError(await get('/v1/models/digits/versions?limit=1001'), 400, 'VALIDATION_ERROR', /limit must be <= 1000/);
  });

  it('moves an alias by compare-and-set: the loser of a race gets 409, and history records each move', async () => {
    const first = await send('PUT', '/v1/models/digits/aliases/production', { version: 1, expectedVersion: null });
    expect([first.statusCode, first.json()]).toEqual([200, { alias: 'production', version: 1, from: null }]);
    const lost = await send('PUT', '/v1/models/digits/aliases/production', { version: 2, expectedVersion: null });
    expectError(lost, 409, 'ALIAS_CONFLICT', /holds version 1, not the expected none/);
    const won = await send('PUT', '/v1/models/digits/aliases/production', { version: 2, expectedVersion: 1 });
    expect(won.json()).toEqual({ alias: 'production', version: 2, from: 1 });
    // Roll back.
    await send('PUT', '/v1/models/digits/aliases/production', { version: 1 });
    const history = (await get('/v1/models/digits/history')).json() as { items: Record<string, unknown>[] };
    expect(history.items.map((h) => [h.from, h.to, h.by])).toEqual([
      [2, 1, expect.stringMatching(/^key:[0-9a-f]{12}$/)],
      [1, 2, expect.stringMatching(/^key:/)],
      [null, 1, expect.stringMatching(/^key:/)],
    ]);
  });

  it('refuses bad aliases, names and versions with a 400 or 404 saying what is wrong', async () => {
    expectError(
      await send('PUT', '/v1/models/digits/aliases/latest', { version: 1 }),
      400,
      'INVALID_ALIAS',
      /"latest" always holds/,
    );
    expectError(
      await send('PUT', '/v1/models/digits/aliases/Prod!', { version: 1 }),
      400,
      'INVALID_ALIAS',
      /lower-case/,
    );
    expectError(
      await send('PUT', '/v1/models/digits/aliases/x', { version: 7 }),
      404,
      'MODEL_VERSION_NOT_FOUND',
      /no version 7/,
    );
    expectError(await send('PUT', '/v1/models/digits/aliases/x', { version: 0 }), 400, 'VALIDATION_ERROR', /version/);
    expectError(await send('DELETE', '/v1/models/digits/aliases/never'), 404, 'ALIAS_NOT_FOUND', /no alias "never"/);
    expectError(await get(`/v1/models/${'a'.repeat(65)}/versions`), 400, 'INVALID_MODEL_NAME', /1–64 characters/);
    expectError(await get('/v1/models/digits@production/versions'), 400, 'INVALID_MODEL_NAME', /without @alias/);
    // B's "digits" is its own: it has no version 2, whatever A's has.
    expectError(
      await send('PUT', '/v1/models/digits/aliases/production', { version: 2 }, B),
      404,
      'MODEL_VERSION_NOT_FOUND',
      /no version 2/,
    );
  });

  it('predicts by name (production, else latest), name@alias and version, naming what it resolved', async () => {
    const named = await predict('/v1/models/digits/predict');
    expect(named.statusCode).toBe(200);
    expect(named.json()).toMatchObject({ modelId: v1.id, model: { name: 'digits', version: 1, alias: 'production' } });
    expect((await predict('/v1/models/digits@latest/predict')).json()).toMatchObject({
      modelId: v2.id,
      model: { name: 'digits', version: 2, alias: 'latest' },
    });
    expect((await predict('/v1/models/digits/versions/2/predict')).json()).toMatchObject({
      modelId: v2.id,
      model: { name: 'digits', version: 2, alias: null },
    });
    expect((await predict(`/v1/models/${v2.id}/predict`)).json()).toMatchObject({
      model: { name: 'digits', version: 2, alias: null },
    });
    expect((await predict('/v1/predict?model=digits@production')).json()).toMatchObject({ modelId: v1.id });
    // B has "digits" too: its own.
    expect((await predict('/v1/models/digits/predict', B)).json()).toMatchObject({ modelId: other.id });
    expectError(await predict('/v1/models/digits@canary/predict'), 404, 'ALIAS_NOT_FOUND', /no alias "canary"/);
    expectError(await predict('/v1/models/digits/versions/5/predict'), 404, 'MODEL_VERSION_NOT_FOUND', /no version 5/);
  });

  it("answers /v1/predict with the tenant's only model, and a 409 naming them when there are several", async () => {
    expect((await predict('/v1/predict', B)).json()).toMatchObject({ modelId: other.id, model: { name: 'digits' } });
    expect((await predict('/v1/predict')).json()).toMatchObject({ modelId: v1.id, model: { alias: 'production' } });
    await store('team-a', 'letters', 4);
    expectError(await predict('/v1/predict'), 409, 'MODEL_AMBIGUOUS', /several models \("letters", "digits"\)/);
  });

  it('refuses to delete a version an alias holds, by number or by id, naming the alias', async () => {
    expectError(await send('DELETE', '/v1/models/digits/versions/1'), 409, 'VERSION_ALIASED', /alias "production"/);
    expectError(await send('DELETE', `/v1/models/${v1.id}`), 409, 'VERSION_ALIASED', /alias "production"/);
    expect((await get(`/v1/models/${v1.id}/model.json`)).statusCode).toBe(200);
  });

  it('sets descriptions and tags, bounded', async () => {
    const patched = await send('PATCH', '/v1/models/digits', { description: 'handwritten', tags: { owner: 'a' } });
    expect(patched.json()).toMatchObject({ description: 'handwritten', tags: { owner: 'a' } });
    const version = await send('PATCH', '/v1/models/digits/versions/2', { tags: { reviewed: 'yes' } });
    expect(version.json()).toMatchObject({ version: 2, tags: { reviewed: 'yes' }, description: '' });
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    expectError(await send('PATCH', '/v1/models/digits', { tags: many }), 400, 'VALIDATION_ERROR', /more than 20/);
    expectError(await send('PATCH', '/v1/models/digits', {}), 400, 'VALIDATION_ERROR', /fewer than 1/);
  });

  it('deletes a model with its versions, aliases and stored files', async () => {
    expect((await send('DELETE', '/v1/models/digits')).statusCode).toBe(204);
    expectError(await get('/v1/models/digits'), 404, 'MODEL_NOT_FOUND', /not found/);
    expectError(await get(`/v1/models/${v1.id}/model.json`), 404, 'MODEL_NOT_FOUND', /not found/);
    expectError(await predict('/v1/models/digits/predict'), 404, 'MODEL_NOT_FOUND', /not found/);
    // B's "digits" is untouched.
    expect((await predict('/v1/models/digits/predict', B)).statusCode).toBe(200);
  });

  it('validates the model name and promote rule of a job, and states the derived name', async () => {
    const post = (payload: object) => send('POST', '/v1/training-jobs', { epochs: 1, ...payload });
    expectError(await post({ model: 'Digits' }), 400, 'VALIDATION_ERROR', /model/);
    expectError(
      await post({ model: 'abcdef12-3456-4789-abcd-ef0123456789' }),
      400,
      'VALIDATION_ERROR',
      /must not look like a model id/,
    );
    expectError(await post({ promote: { alias: 'latest' } }), 400, 'VALIDATION_ERROR', /latest/);
    expectError(
      await post({ promote: { alias: 'production', if: { metric: 'f1' } } }),
      400,
      'VALIDATION_ERROR',
      /metric/,
    );
    const derived = await post({ name: 'Nightly Digits v2' });
    expect(derived.json()).toMatchObject({ model: 'nightly-digits-v2', promote: null, modelVersion: null });
    const fromDataset = await post({});
    expect(fromDataset.json()).toMatchObject({ model: 'mnist-sample' });
    const promoted = await post({
      model: 'digits',
      promote: { alias: 'production', if: { metric: 'testAccuracy', atLeast: 0.9 } },
    });
    expect(promoted.json()).toMatchObject({ model: 'digits', promote: { alias: 'production' }, promotion: null });
  });
});
