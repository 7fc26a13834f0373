import * as tf from '@tensorflow/tfjs';
import { readdir } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsStorage } from '../../../src/storage/fs.js';
import { waitFor } from '../../helpers/processes.js';
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
    expect(res.json()).toEqual({ items: [], registered: [] });
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
      expect(res.json()).toMatchObject({
        items: [model, older],
        registered: [{ name: 'synthetic', latestVersion: 2 }],
      });
      expect(model).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
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
        preprocess: 'mnist',
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

    it('sends model files with their length, an ETag and public caching while the API is open', async () => {
      for (const file of ['model.json', 'weights.bin']) {
        const res = await get(`/v1/models/${model.id}/${file}`);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-length']).toBe(String(res.rawPayload.length));
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(res.headers.etag).toMatch(/^"r[0-9a-z]+-[0-9a-f]{8}"$/);
        expect(res.headers['accept-ranges']).toBe('none');
        expect(res.headers.vary).toBeUndefined();
      }
    });

    it('answers 304 without a body when If-None-Match names the ETag, in any of its forms', async () => {
      const url = `/v1/models/${model.id}/weights.bin`;
      const etag = (await get(url)).headers.etag as string;
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const res = await t.app.inject({ url, headers: { 'if-none-match': ifNoneMatch } });
        expect(res.statusCode, ifNoneMatch).toBe(304);
        expect(res.rawPayload.length).toBe(0);
        expect(res.headers.etag).toBe(etag);
        expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      }
    });

    it('sends the whole file for tags that do not match and for any Range', async () => {
      const url = `/v1/models/${model.id}/weights.bin`;
      const whole = (await get(url)).rawPayload;
      const lies = [
        { 'if-none-match': '"r0-00000000"' },
        { 'if-none-match': `${','.repeat(4000)}"x"` },
        { 'if-none-match': 'W/' },
        { range: 'bytes=0-0' },
        { range: `bytes=${whole.length * 10}-` },
        { range: 'bytes=-1, 5-2, 99999999999999999999-' },
      ];
      for (const headers of lies) {
        const res = await t.app.inject({ url, headers });
        expect(res.statusCode, JSON.stringify(headers)).toBe(200);
        expect(res.headers['content-length']).toBe(String(whole.length));
        expect(Buffer.compare(res.rawPayload, whole)).toBe(0);
      }
    });

    it('answers HEAD with the headers of GET and no body', async () => {
      for (const file of ['model.json', 'weights.bin']) {
        const url = `/v1/models/${model.id}/${file}`;
        const full = await get(url);
        const head = await t.app.inject({ method: 'HEAD', url });
        expect(head.statusCode).toBe(200);
        expect(head.rawPayload.length).toBe(0);
        for (const name of ['content-length', 'content-type', 'etag', 'cache-control'])
          expect(head.headers[name], name).toBe(full.headers[name]);
      }
      const missing = await t.app.inject({ method: 'HEAD', url: '/v1/models/m-unknown/weights.bin' });
      expect(missing.statusCode).toBe(404);
      expect(missing.rawPayload.length).toBe(0);
    });

    it.each([
      ['an unknown id', 'm-unknown'],
      ['path traversal', '..%2F..%2Fetc'],
      ['an id with dots', '..m..'],
      ['a NUL byte', 'm%00'],
      ['double-encoded traversal', '..%252f..%252fetc%252fpasswd'],
      ['an id over 64 characters', 'm'.repeat(150)],
    ])('answers 404 for %s on every route', async (_, id) => {
      const decoded = decodeURIComponent(id);
      for (const suffix of ['', '/model.json', '/weights.bin'])
        expectNotFound(await get(`/v1/models/${id}${suffix}`), decoded);
      expectNotFound(await t.app.inject({ method: 'DELETE', url: `/v1/models/${id}` }), decoded);
    });

    it('answers ids that are too long or dot segments without reading storage or echoing them', async () => {
      const long = await get(`/v1/models/${'m'.repeat(1000)}/weights.bin`);
      expect(long.statusCode).toBe(400);
      expect(long.json()).toMatchObject({
        code: 'VALIDATION_ERROR',
        message: 'params.id must NOT have more than 200 characters',
      });
      const longer = await get(`/v1/models/${'m'.repeat(5000)}/weights.bin`);
      expect(longer.statusCode).toBe(414);
      expect(longer.json()).toMatchObject({ message: 'a path segment is longer than 1000 characters' });
      // Encoded dot segments resolve like plain ones, to a route that does not exist.
      for (const id of ['%2e%2e', '.%2e', '%2E%2E%2F%2E%2E']) {
        const res = await get(`/v1/models/${id}/weights.bin`);
        expect(res.statusCode, id).toBe(404);
        expect(['ROUTE_NOT_FOUND', 'MODEL_NOT_FOUND']).toContain(res.json<{ code: string }>().code);
      }
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
      expect((await get('/v1/models')).json()).toMatchObject({
        items: [model],
        registered: [{ name: 'synthetic', aliases: { latest: 2 } }],
      });
    });
  });
});

describe('model files with API keys', () => {
  const TRAIN = 'train-key-0123456789abcdef';
  const PREDICT = 'predict-key-0123456789abcdef';
  let t: TestApp;
  let model: ModelMetadata;
  beforeAll(async () => {
    t = await buildTestApp({ API_KEYS: `${TRAIN}:train,${PREDICT}:predict`, CORS_ORIGINS: 'https://app.example' });
    model = await storeTrainedModel(t.deps, { trainCount: 100, testCount: 20, params: { epochs: 1 } });
  }, 120_000);
  afterAll(() => t.close());

  it('are private to their caller and vary by Authorization, keeping Vary: Origin', async () => {
    for (const [method, file] of [
      ['GET', 'model.json'],
      ['GET', 'weights.bin'],
      ['HEAD', 'weights.bin'],
    ] as const) {
      const res = await t.app.inject({
        method,
        url: `/v1/models/${model.id}/${file}`,
        headers: { authorization: `Bearer ${PREDICT}`, origin: 'https://app.example' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
      const vary = String(res.headers.vary).toLowerCase().split(/,\s*/);
      expect(vary).toEqual(expect.arrayContaining(['origin', 'authorization']));
    }
  });

  it('need a key, also for a conditional request', async () => {
    const url = `/v1/models/${model.id}/weights.bin`;
    const etag = (await t.app.inject({ url, headers: { authorization: `Bearer ${TRAIN}` } })).headers.etag as string;
    const res = await t.app.inject({ url, headers: { 'if-none-match': etag } });
    expect(res.statusCode).toBe(401);
    expect(res.headers.etag).toBeUndefined();
  });
});

describe('model files over HTTP', () => {
  const SIZE = 64 * 1024 * 1024;
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await buildTestApp();
    // A model whose weights.bin is large, written straight into the API's storage directory.
    const storage = createFsStorage({ dir: t.config.DATA_DIR });
    const marker = { id: 'm-big', name: 'big', createdAt: new Date().toISOString(), revision: 'r1-00000000' };
    await storage.put('models/m-big/r1-00000000/weights.bin', Buffer.alloc(SIZE, 7));
    await storage.put('models/m-big/metadata.json', Buffer.from(JSON.stringify(marker)));
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => t.close());

  const openFds = async () => (await readdir('/proc/self/fd')).length;

  it('streams a large file whole, with its length', async () => {
    const res = await fetch(`${base}/v1/models/m-big/weights.bin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(SIZE);
    expect(bytes.every((b) => b === 7)).toBe(true);
  });

  it('closes the file of a client that leaves part-way, and of HEAD requests', async () => {
    const before = await openFds();
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = httpGet(`${base}/v1/models/m-big/weights.bin`, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      });
      const head = await fetch(`${base}/v1/models/m-big/weights.bin`, { method: 'HEAD' });
      expect(head.headers.get('content-length')).toBe(String(SIZE));
    }
    await waitFor(async () => ((await openFds()) <= before ? true : undefined), 10_000);
  });
});
