import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelMetadata } from '../../../src/models/store.js';
import { NORMALISE } from '../../../src/training/network.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { DIGITS, PIXELS, storeTrainedModel, syntheticImage } from '../../helpers/model.js';

/** The model's input for synthetic images: normalised exactly as the predictor does. */
function batchOf(images: Uint8Array[]): tf.Tensor2D {
  const x = new Float32Array(images.length * PIXELS);
  images.forEach((img, i) => img.forEach((v, p) => (x[i * PIXELS + p] = NORMALISE[v]!)));
  return tf.tensor2d(x, [images.length, PIXELS]);
}

async function predictWith(model: tf.LayersModel, images: Uint8Array[]): Promise<number[][]> {
  const input = batchOf(images);
  const out = model.predict(input) as tf.Tensor;
  const rows = (await out.array()) as number[][];
  tf.dispose([input, out]);
  return rows;
}

describe('models routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const expectNotFound = (res: { statusCode: number; json(): unknown }, id: string) => {
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: `model "${id}" not found`,
      code: 'MODEL_NOT_FOUND',
    });
  };

  it('lists no model at first', async () => {
    const res = await get('/v1/models');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [] });
  });

  describe('with stored models', () => {
    let model: ModelMetadata;
    let older: ModelMetadata;
    beforeAll(async () => {
      older = await storeTrainedModel(t.deps, {
        name: 'older',
        createdAt: '2020-01-01T00:00:00.000Z',
        trainCount: 100,
        testCount: 20,
        params: { epochs: 1 },
      });
      model = await storeTrainedModel(t.deps, { name: 'blocks', jobId: 'job-blocks', dataset: 'synthetic' });
    }, 120_000);

    it('the trained model learned the synthetic classes', () => {
      expect(model.metrics.testAccuracy).toBeGreaterThanOrEqual(0.9);
    });

    it('GET /v1/models lists them newest first, with every field', async () => {
      const res = await get('/v1/models');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ items: [model, older] });
      expect(model).toEqual({
        id: expect.stringMatching(/^m-[0-9a-f]{12}$/),
        name: 'blocks',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        jobId: 'job-blocks',
        dataset: 'synthetic',
        params: {
          epochs: 3,
          batchSize: 32,
          learningRate: 0.01,
          hiddenLayers: [32],
          activation: 'relu',
          optimizer: 'adam',
          validationSplit: 0,
          seed: 7,
        },
        metrics: {
          testLoss: expect.any(Number),
          testAccuracy: expect.any(Number),
          confusionMatrix: expect.any(Array),
          perClass: expect.any(Array),
        },
        backend: 'wasm',
        inputShape: [28, 28],
        labels: DIGITS,
        sizeBytes: expect.any(Number),
      });
      expect(model.sizeBytes).toBeGreaterThan(0);
    });

    it('GET /v1/models/:id answers the model', async () => {
      const res = await get(`/v1/models/${model.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(model);
    });

    it('shows the confusion matrix and per-class figures of the test split', async () => {
      const { metrics } = (await get(`/v1/models/${model.id}`)).json() as typeof model;
      const matrix = metrics.confusionMatrix!;
      expect(matrix.flat().reduce((s, v) => s + v, 0)).toBe(100); // the helper's test split
      expect(matrix.reduce((s, row, k) => s + row[k]!, 0) / 100).toBeCloseTo(metrics.testAccuracy, 10);
      expect(metrics.perClass!.map((c) => [c.label, c.support])).toEqual(DIGITS.map((d) => [d, 10]));
    });

    it('serves model.json and weights.bin that load and predict like the stored model', async () => {
      const jsonRes = await get(`/v1/models/${model.id}/model.json`);
      expect(jsonRes.statusCode).toBe(200);
      expect(jsonRes.headers['content-type']).toMatch(/^application\/json/);
      const modelJson = jsonRes.json() as tf.io.ModelJSON;
      expect(modelJson).toMatchObject({ format: 'layers-model', modelTopology: expect.any(Object) });
      expect(modelJson.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);
      const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
      expect(specs.length).toBeGreaterThan(0);

      const weightsRes = await get(`/v1/models/${model.id}/weights.bin`);
      expect(weightsRes.statusCode).toBe(200);
      expect(weightsRes.headers['content-type']).toBe('application/octet-stream');
      const weights = weightsRes.rawPayload;
      expect(weights.length).toBe(model.sizeBytes - jsonRes.rawPayload.length);
      const floats = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
      expect(weights.length).toBe(floats * 4);

      const fromHttp = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology,
          weightSpecs: specs,
          weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
        }),
      );
      const fromStore = await t.deps.models.load(model.id);
      const images = DIGITS.map((_, k) => syntheticImage(k, 5000 + k));
      const [a, b] = [await predictWith(fromHttp, images), await predictWith(fromStore, images)];
      fromHttp.dispose();
      fromStore.dispose();
      a.forEach((row, i) => row.forEach((p, c) => expect(p).toBeCloseTo(b[i]![c]!, 6)));
      // And it is the model the classes were learned into.
      expect(a.map((row) => row.indexOf(Math.max(...row)))).toEqual(DIGITS.map((_, k) => k));
    });

    it.each([
      ['an unknown id', 'm-unknown'],
      ['path traversal', '..%2F..%2Fetc'],
      ['an id with dots', '..m..'],
      ['a NUL byte', 'm%00'],
    ])('answers 404 for %s on every route', async (_, id) => {
      const decoded = decodeURIComponent(id);
      for (const suffix of ['', '/model.json', '/weights.bin'])
        expectNotFound(await get(`/v1/models/${id}${suffix}`), decoded);
      expectNotFound(await t.app.inject({ method: 'DELETE', url: `/v1/models/${id}` }), decoded);
    });

    it('DELETE removes a model: 204, then 404 for it, its files and predictions with it', async () => {
      // Load it into the predictor first, so deletion has to evict it.
      const before = await t.app.inject({
        method: 'POST',
        url: `/v1/models/${older.id}/predict`,
        payload: { pixels: Array.from(syntheticImage(3)) },
      });
      expect(before.statusCode).toBe(200);

      const res = await t.app.inject({ method: 'DELETE', url: `/v1/models/${older.id}` });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      for (const suffix of ['', '/model.json', '/weights.bin'])
        expectNotFound(await get(`/v1/models/${older.id}${suffix}`), older.id);
      for (const url of [`/v1/models/${older.id}/predict`, `/v1/predict?model=${older.id}`]) {
        const predicted = await t.app.inject({
          method: 'POST',
          url,
          payload: { pixels: Array.from(syntheticImage(3)) },
        });
        expectNotFound(predicted, older.id);
      }
      expectNotFound(await t.app.inject({ method: 'DELETE', url: `/v1/models/${older.id}` }), older.id);
      expect((await get('/v1/models')).json()).toEqual({ items: [model] });
    });
  });
});
