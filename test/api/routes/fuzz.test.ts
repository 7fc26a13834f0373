import { STATUS_CODES } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTrainingJobSchema } from '../../../src/schemas/job.js';
import { createAjv } from '../../../src/validation.js';
import { loadConfig } from '../../../src/config.js';
import { parameterCount } from '../../../src/training/params.js';
import type { ModelMetadata } from '../../../src/models/store.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { storeTrainedModel } from '../../helpers/model.js';

/**
 * Property-based: arbitrary JSON and arbitrary ids at the JSON routes. Whatever arrives, the
 * answer is a 2xx or a 4xx in the error shape, never a 5xx; nothing is stored or deleted; and a
 * job is queued only for a body the schema accepts.
 */
// 200 cases per property keep the whole file at a few seconds.
const RUNS = { numRuns: 200 };
const FIELDS = Object.keys(CreateTrainingJobSchema.properties);

// Values a field should not have: wrong types, out of range, NaN-like text, huge, long, deep.
const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 0.5, 101, 4097, 1e308, -1e308, 2 ** 53 + 2, 4294967296, Number.MIN_VALUE),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-0', 'null', 'true', '', ' ', '5', '[]', '{}'),
  fc.string({ minLength: 201, maxLength: 5000 }),
  fc.array(fc.integer({ min: -5, max: 3000 }), { maxLength: 10 }),
  fc.integer({ min: 1, max: 300 }).map((d) => JSON.parse(`${'['.repeat(d)}${']'.repeat(d)}`) as unknown),
);
const looseKey = fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 20 }), fc.constantFrom('toString', 'x'));

// A body the schema accepts within the default budgets (mnist-sample is always available):
// these must be queued. On its 8,000 images no network under MAX_MODEL_PARAMS reaches
// MAX_JOB_GFLOP in 100 epochs, so the generator bounds the network and the batch.
const { MAX_MODEL_PARAMS, MAX_BATCH_UNITS, JOB_TIMEOUT_SECONDS } = loadConfig({});
const hiddenLayers = fc
  .array(fc.integer({ min: 1, max: 2048 }), { minLength: 1, maxLength: 8 })
  .filter((layers) => parameterCount(layers) <= MAX_MODEL_PARAMS);
const validJob = hiddenLayers.chain((layers) => {
  const units = layers.reduce((a, b) => a + b, 0);
  return fc.record(
    {
      dataset: fc.constant('mnist-sample'),
      name: fc.string({ minLength: 1, maxLength: 200 }),
      epochs: fc.integer({ min: 1, max: 100 }),
      batchSize: fc.integer({ min: 1, max: Math.min(4096, Math.floor(MAX_BATCH_UNITS / units)) }),
      learningRate: fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }),
      hiddenLayers: fc.constant(layers),
      activation: fc.constantFrom('relu', 'tanh', 'sigmoid', 'elu'),
      optimizer: fc.constantFrom('adam', 'sgd', 'rmsprop'),
      validationSplit: fc.double({ min: 0, max: 0.5, noNaN: true }),
      seed: fc.integer({ min: 0, max: 4294967295 }),
      timeoutSeconds: fc.integer({ min: 1, max: JOB_TIMEOUT_SECONDS }),
    },
    { requiredKeys: [] },
  );
});
// Valid to the schema but past a budget: these must be refused with a 400 naming the setting.
const overBudget = fc.oneof(
  fc
    .array(fc.integer({ min: 1600, max: 2048 }), { minLength: 4, maxLength: 8 })
    .map((layers) => ({ hiddenLayers: layers, batchSize: 1 })),
  fc.integer({ min: 1025, max: 2048 }).map((units) => ({ hiddenLayers: [units, units], batchSize: 4096 })),
  fc.integer({ min: JOB_TIMEOUT_SECONDS + 1, max: 30 * 86_400 }).map((timeoutSeconds) => ({ timeoutSeconds })),
);
const jsonText = (value: unknown) => JSON.stringify(value) ?? 'null';
// Raw text for what JSON.stringify cannot make: number literals beyond double range, the
// forbidden keys, duplicate keys, nesting far deeper than any schema, plain broken text.
const rawTexts = (fields: string[]) =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom(...fields),
        fc.constantFrom('1e999', '-1e999', '-0', '1E+2', '123456789012345678901234567890'),
      )
      .map(([f, n]) => `{"${f}": ${n}}`),
    fc.jsonValue({ maxDepth: 2 }).map((v) => `{"__proto__": ${jsonText(v)}}`),
    fc.constantFrom(
      '{"constructor": {"prototype": {"polluted": true}}}',
      '{"a": [{"__proto__": {"x": 1}}]}',
      '{"\\u005f_proto__": {}}',
      '{"epochs": 1, "epochs": "two"}',
    ),
    fc.nat(20_000).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
    fc.string({ maxLength: 50 }),
  );

const jobBody = fc.oneof(
  validJob.map((v) => ({ text: JSON.stringify(v), mustQueue: true })),
  overBudget.map((v) => ({ text: JSON.stringify(v), mustQueue: false, mustRefuse: true })),
  fc
    .oneof(
      fc.jsonValue(),
      fc.dictionary(looseKey, nasty, { maxKeys: 6 }),
      fc.tuple(validJob, fc.dictionary(looseKey, nasty, { maxKeys: 3 })).map(([a, b]) => ({ ...a, ...b })),
    )
    .map((v) => ({ text: jsonText(v), mustQueue: false })),
  rawTexts(FIELDS).map((text) => ({ text, mustQueue: false })),
);
// Mostly absent; a few shared keys so that repeats and reuse happen within a run.
const idempotencyKey = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom('k1', 'k2', 'k3') },
  { weight: 1, arbitrary: fc.string({ maxLength: 260 }) },
);

const pixel = fc.oneof(fc.integer({ min: 0, max: 255 }), nasty);
const goodFlat = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 784, maxLength: 784 });
const goodRows = fc.array(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 28, maxLength: 28 }), {
  minLength: 28,
  maxLength: 28,
});
const spoiled = fc
  .tuple(goodFlat, fc.nat(783), nasty)
  .map(([img, i, bad]) => Object.assign([...img], { [i]: bad }) as unknown[]);
const image = fc.oneof(goodFlat, goodRows, spoiled, fc.array(pixel, { maxLength: 800 }), nasty);
const predictBody = fc.oneof(
  fc.oneof(goodFlat, goodRows).map((pixels) => ({ text: JSON.stringify({ pixels }), mustPredict: 1 })),
  fc
    .array(goodFlat, { minLength: 1, maxLength: 3 })
    .map((instances) => ({ text: JSON.stringify({ instances }), mustPredict: instances.length })),
  fc
    .oneof(
      fc.record({ pixels: image, instances: fc.array(image, { maxLength: 3 }) }, { requiredKeys: [] }),
      fc.dictionary(fc.oneof(fc.constantFrom('pixels', 'instances'), fc.string({ maxLength: 10 })), image, {
        maxKeys: 3,
      }),
      fc.jsonValue(),
    )
    .map((v) => ({ text: jsonText(v), mustPredict: 0 })),
  rawTexts(['pixels', 'instances']).map((text) => ({ text, mustPredict: 0 })),
);

const pathId = (knownIds: string[]) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 300 }).map(encodeURIComponent),
    fc.string({ unit: 'binary-ascii', maxLength: 100 }).map(encodeURIComponent),
    // Not encoded: stray and broken percent escapes, dots, reserved characters.
    fc.string({ unit: fc.constantFrom(..."aZ09-_.~%!$&'()*+,;=:@".split('')), maxLength: 60 }),
    fc.constantFrom('..', '.', '%2e%2e', '..%2F..%2Fetc%2Fpasswd', '%00', '%zz', '%C0%AF', 'a'.repeat(1001)),
    fc.constantFrom(...knownIds),
  );

interface Answer {
  statusCode: number;
  body: string;
  json(): unknown;
}

/** 2xx, or a 4xx in the one error shape with a message; never a 5xx or a redirect. */
function expectHandled(res: Answer): void {
  const s = res.statusCode;
  expect((s >= 200 && s < 300) || (s >= 400 && s < 500), `answered ${s}: ${res.body.slice(0, 300)}`).toBe(true);
  if (s < 400) return;
  const body = res.json() as Record<string, unknown>;
  expect(Object.keys(body).every((k) => ['statusCode', 'error', 'message', 'code', 'errors'].includes(k))).toBe(true);
  expect(body.statusCode).toBe(res.statusCode);
  expect(body.error).toBe(STATUS_CODES[res.statusCode]);
  expect(typeof body.message === 'string' && body.message.length > 0).toBe(true);
  if ('code' in body) expect(typeof body.code).toBe('string');
}

describe('arbitrary input at the JSON routes', () => {
  let t: TestApp;
  let model: ModelMetadata;
  let before: { models: unknown; datasets: unknown };
  const snapshot = async () => {
    const [models, datasets] = await Promise.all(
      ['/v1/models', '/v1/datasets'].map((url) => t.app.inject({ method: 'GET', url })),
    );
    expect([models!.statusCode, datasets!.statusCode]).toEqual([200, 200]);
    return { models: models!.json(), datasets: datasets!.json() };
  };

  beforeAll(async () => {
    t = await buildTestApp();
    model = await storeTrainedModel(t.deps, { trainCount: 50, testCount: 10, params: { epochs: 1 } });
    before = await snapshot();
  }, 60_000);
  afterAll(() => t.close());

  it('POST /v1/training-jobs: never a 5xx, and a job exactly for each valid body', async () => {
    const validate = createAjv({ coerce: false }).compile(CreateTrainingJobSchema);
    const created = new Set<string>();
    await fc.assert(
      fc.asyncProperty(jobBody, idempotencyKey, async ({ text, mustQueue, ...rest }, key) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (key !== undefined) headers['idempotency-key'] = key;
        const res = await t.app.inject({ method: 'POST', url: '/v1/training-jobs', headers, payload: text });
        expectHandled(res);
        if (res.statusCode === 202) {
          const parsed: unknown = JSON.parse(text);
          expect(validate(structuredClone(parsed))).toBe(true);
          const job = res.json() as { id: string; state: string };
          expect(job.state).toBe('queued');
          created.add(job.id);
        }
        if (mustQueue && key === undefined) expect(res.statusCode).toBe(202);
        if ('mustRefuse' in rest && key === undefined) {
          expect(res.statusCode).toBe(400);
          expect((res.json() as { message: string }).message).toMatch(
            /\((MAX_MODEL_PARAMS|MAX_BATCH_UNITS|JOB_TIMEOUT_SECONDS)\)/,
          );
        }
      }),
      RUNS,
    );
    const list = await t.app.inject({ method: 'GET', url: '/v1/training-jobs?limit=500' });
    expect(list.statusCode).toBe(200);
    const listed = (list.json() as { items: { id: string }[] }).items.map((j) => j.id);
    expect(new Set(listed)).toEqual(created);
    expect(listed).toHaveLength(created.size);
    expect(created.size).toBeGreaterThan(0); // the generators reach the happy path too
  });

  it('POST /v1/predict with JSON: never a 5xx, and valid pixels are predicted', async () => {
    let predicted = 0;
    await fc.assert(
      fc.asyncProperty(
        predictBody,
        fc.option(fc.oneof(fc.constant(model.id), fc.string({ maxLength: 80 }))),
        async ({ text, mustPredict }, modelParam) => {
          const query = modelParam === null ? '' : `?model=${encodeURIComponent(modelParam)}`;
          const res = await t.app.inject({
            method: 'POST',
            url: `/v1/predict${query}`,
            headers: { 'content-type': 'application/json' },
            payload: text,
          });
          expectHandled(res);
          if (res.statusCode === 200) {
            const body = res.json() as { modelId: string; predictions: { probabilities: number[] }[] };
            expect(body.modelId).toBe(model.id);
            expect(body.predictions.length).toBeGreaterThan(0);
            for (const p of body.predictions) expect(p.probabilities).toHaveLength(10);
            predicted++;
          }
          if (mustPredict > 0 && (modelParam === null || modelParam === model.id)) {
            expect(res.statusCode).toBe(200);
            expect((res.json() as { predictions: unknown[] }).predictions).toHaveLength(mustPredict);
          }
        },
      ),
      RUNS,
    );
    expect(predicted).toBeGreaterThan(0);
  });

  it.each([
    ['/v1/training-jobs/', () => ['no-such-job']],
    ['/v1/models/', () => [model.id]],
    ['/v1/datasets/', () => ['mnist-sample', 'fashion-mnist', 'mnist']],
  ])('GET %s{id} with arbitrary ids: never a 5xx', async (prefix, known) => {
    await fc.assert(
      fc.asyncProperty(pathId(known()), async (id) => {
        const res = await t.app.inject({ method: 'GET', url: `${prefix}${id}` });
        expectHandled(res);
        if (res.statusCode === 200) expect((res.json() as { id: string }).id).toBe(decodeURIComponent(id));
      }),
      RUNS,
    );
  });

  it('leaves the model store and the dataset list as they were', async () => {
    expect(await snapshot()).toEqual(before);
  });
});
