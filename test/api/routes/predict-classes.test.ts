import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { letterbox } from '../../../src/inference/letterbox.js';
import { mnistify } from '../../../src/inference/mnistify.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { storeTrainedModel, syntheticImage, syntheticPng } from '../../helpers/model.js';
import { encodePng } from '../../helpers/png.js';

interface Prediction {
  label: string;
  class: number;
  confidence: number;
  probabilities: number[];
  input?: number[];
}

const SHAPES = ['circle', 'square', 'star'];

/** A 56×28 image: class k's synthetic image on the left, black on the right. */
function wide(k: number): { gray: Uint8Array; png: Buffer } {
  const gray = new Uint8Array(56 * 28);
  const img = syntheticImage(k, 3);
  for (let y = 0; y < 28; y++) gray.set(img.subarray(y * 28, (y + 1) * 28), y * 56);
  return { gray, png: encodePng({ width: 56, height: 28, data: gray, channels: 1 }) };
}

describe('predict with models of other classes and rules', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await storeTrainedModel(t.deps, { registerAs: 'shapes', labels: SHAPES, preprocess: 'fit', trainCount: 150 });
    await storeTrainedModel(t.deps, { registerAs: 'digits', trainCount: 100, params: { epochs: 1 } });
  });
  afterAll(() => t.close());

  const predict = async (url: string, body: { png?: Buffer; json?: object }) => {
    const res = await t.app.inject({
      method: 'POST',
      url,
      ...(body.png
        ? { headers: { 'content-type': 'image/png' }, payload: body.png }
        : { payload: body.json as object }),
    });
    expect(res.statusCode).toBe(200);
    return (res.json() as { predictions: Prediction[] }).predictions;
  };

  it('answers the label names of a three-class model, with three probabilities', async () => {
    for (const k of [0, 1, 2]) {
      const [p] = await predict('/v1/models/shapes/predict', { json: { pixels: Array.from(syntheticImage(k, 9)) } });
      expect(p!.label).toBe(SHAPES[k]);
      expect(p!.class).toBe(k);
      expect(p!.probabilities).toHaveLength(3);
      expect(p!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(p!.confidence).toBe(p!.probabilities[k]);
    }
    const [png] = await predict('/v1/models/shapes/predict', { png: syntheticPng(2, 11) });
    expect(png!.label).toBe('star');
  });

  it('shows the model with its labels and rule', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/models/shapes/versions/1' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { id: string };
    const model = await t.app.inject({ method: 'GET', url: `/v1/models/${body.id}` });
    expect(model.json()).toMatchObject({ labels: SHAPES, preprocess: 'fit' });
  });

  it("prepares an uploaded image by the model's own rule: fit letterboxes it, mnist crops and centres it", async () => {
    const { gray, png } = wide(1);
    const [fit] = await predict('/v1/models/shapes/predict?debug=1', { png });
    expect(fit!.input).toEqual(Array.from(letterbox(gray, 56, 28)));
    const [digit] = await predict('/v1/models/digits/predict?debug=1', { png });
    expect(digit!.input).toEqual(Array.from(mnistify(gray, 56, 28)));
    expect(fit!.input).not.toEqual(digit!.input);
    // A batch follows the rule too.
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'b.png');
    const request = new Request('http://localhost/', { method: 'POST', body: form });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/models/shapes/predict?debug=1',
      headers: { 'content-type': request.headers.get('content-type')! },
      payload: Buffer.from(await request.arrayBuffer()),
    });
    expect(res.statusCode).toBe(200);
    const batch = (res.json() as { predictions: Prediction[] }).predictions;
    expect(batch.map((p) => p.input)).toEqual([fit!.input, fit!.input]);
  });

  it("prepares images by the model's rule through the V2 and TF Serving protocols too", async () => {
    const { png } = wide(1);
    for (const model of ['shapes', 'digits']) {
      const [v1] = await predict(`/v1/models/${model}/predict`, { png });
      const b64 = png.toString('base64');
      const v2 = await t.app.inject({
        method: 'POST',
        url: `/v2/models/${model}/infer`,
        payload: {
          inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [b64] }],
          outputs: [{ name: 'probabilities' }],
        },
      });
      expect(v2.statusCode).toBe(200);
      const out = (v2.json() as { outputs: { name: string; data: number[] }[] }).outputs[0]!;
      out.data.forEach((p, i) => expect(p).toBeCloseTo(v1!.probabilities[i]!, 6));
      const tf = await t.app.inject({
        method: 'POST',
        url: `/v1/models/${model}:predict`,
        payload: { instances: [{ b64 }] },
      });
      expect(tf.statusCode).toBe(200);
      const [row] = (tf.json() as { predictions: number[][] }).predictions;
      row!.forEach((p, i) => expect(p).toBeCloseTo(v1!.probabilities[i]!, 6));
    }
    // The two rules make different inputs of the same file: the check above can tell them apart.
    const [fit] = await predict('/v1/models/shapes/predict?debug=1', { png });
    const [digit] = await predict('/v1/models/digits/predict?debug=1', { png });
    expect(fit!.input).not.toEqual(digit!.input);
  });

  it('takes JSON pixels as they are, whatever the rule', async () => {
    const pixels = Array.from(syntheticImage(0, 5));
    const [p] = await predict('/v1/models/shapes/predict?debug=1', { json: { pixels } });
    expect(p!.input).toEqual(pixels);
  });
});
