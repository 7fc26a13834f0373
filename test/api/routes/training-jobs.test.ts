import { STATUS_CODES } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { expectError } from '../../helpers/http.js';

const DEFAULTS = {
  epochs: 5,
  batchSize: 64,
  learningRate: 0.001,
  hiddenLayers: [128, 64],
  activation: 'relu',
  optimizer: 'adam',
  validationSplit: 0,
};

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('training-jobs routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  const post = (payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: payload as object });
  const postRaw = (type: string, payload: string) =>
    t.app.inject({ method: 'POST', url: '/v1/training-jobs', headers: { 'content-type': type }, payload });
  const listJobs = async (query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/training-jobs${query}` });
    expect(res.statusCode).toBe(200);
    return (res.json() as { items: { id: string; state: string }[] }).items;
  };
  describe('POST /v1/training-jobs', () => {
    it('queues a job with every default filled in', async () => {
      const res = await post({});
      expect(res.statusCode).toBe(202);
      const job = res.json();
      expect(res.headers.location).toBe(`/v1/training-jobs/${job.id}`);
      expect(job).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        name: 'mnist-sample mlp-128-64',
        state: 'queued',
        dataset: 'mnist-sample',
        params: { ...DEFAULTS, seed: expect.any(Number) },
        timeoutSeconds: 7200,
        createdAt: expect.stringMatching(ISO),
        startedAt: null,
        finishedAt: null,
        progress: { epoch: 0, epochs: 5, loss: null, accuracy: null, samplesPerSecond: null, history: [] },
        model: 'mnist-sample',
        promote: null,
        modelId: null,
        modelVersion: null,
        promotion: null,
        metrics: null,
        error: null,
      });
      expect(Number.isInteger(job.params.seed)).toBe(true);
      expect(job.params.seed).toBeGreaterThanOrEqual(0);
    });

    it('keeps every parameter it is given', async () => {
      const params = {
        epochs: 2,
        batchSize: 32,
        learningRate: 0.05,
        hiddenLayers: [16],
        activation: 'tanh',
        optimizer: 'sgd',
        validationSplit: 0.2,
        seed: 42,
      };
      const res = await post({ dataset: 'mnist-sample', name: 'tiny', ...params });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ name: 'tiny', state: 'queued', dataset: 'mnist-sample', params });
      expect(res.json().progress.epochs).toBe(2);
    });
  });

  describe('GET /v1/training-jobs/:id', () => {
    it('answers the job as POST showed it', async () => {
      const created = (await post({ seed: 1, epochs: 1 })).json();
      const res = await t.app.inject({ method: 'GET', url: `/v1/training-jobs/${created.id}` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(created);
    });

    it('answers 404 for an unknown id', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/training-jobs/no-such-job' });
      expectError(res, 404, 'JOB_NOT_FOUND', /no-such-job/);
    });

    it.each([
      ['path traversal', '..%2F..%2Fetc'],
      ['encoded traversal with a file', '..%2F..%2F..%2Fetc%2Fpasswd'],
      ['a NUL byte', 'abc%00def'],
      ['a lone NUL', '%00'],
      ['spaces and quotes', '%20%22x%22'],
    ])('refuses %s with 404 or 400, never 5xx', async (_, id) => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/training-jobs/${id}` });
      expect([400, 404]).toContain(res.statusCode);
      const body = res.json();
      expect(body).toMatchObject({ statusCode: res.statusCode, error: expect.any(String), code: expect.any(String) });
      expect(body.message).toMatch(res.statusCode === 404 ? /not found|no route/ : /id/);
    });

    it('refuses a 300-character id with a 400 in the error shape, naming the path parameter', async () => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/training-jobs/${'a'.repeat(300)}` });
      expect(res.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'params.id must NOT have more than 200 characters',
        code: 'VALIDATION_ERROR',
        errors: [{ path: '/id', message: 'must NOT have more than 200 characters' }],
      });
    });

    it('refuses a 300-character id with 404 or 400 from the app', async () => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/training-jobs/${'a'.repeat(300)}` });
      expect([400, 404]).toContain(res.statusCode);
      expect(res.json().error).toBe(STATUS_CODES[res.statusCode]);
    });
  });

  describe('GET /v1/training-jobs', () => {
    it('lists jobs newest first, filters by state and limits', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await post({ name: `order-${i}` })).json().id);
        await pause(5); // distinct creation milliseconds, so "newest first" is well defined
      }
      const all = await listJobs();
      const positions = ids.map((id) => all.findIndex((j) => j.id === id));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect(positions).toEqual([...positions].sort((a, b) => b - a));
      expect(all[0]!.id).toBe(ids[2]);

      const queued = await listJobs('?state=queued');
      expect(queued.length).toBe(all.length);
      expect(queued.every((j) => j.state === 'queued')).toBe(true);
      expect(await listJobs('?state=running')).toEqual([]);
      expect(await listJobs('?state=completed')).toEqual([]);

      const one = await listJobs('?limit=1');
      expect(one).toHaveLength(1);
      expect(one[0]!.id).toBe(ids[2]);
    });

    it.each([
      ['?state=bogus', /state/],
      ['?limit=0', /limit/],
      ['?limit=abc', /limit/],
      ['?limit=501', /limit/],
      ['?limit=1.5', /limit/],
      ['?other=1', /additional|other/],
    ])('refuses %s with 400', async (query, message) => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/training-jobs${query}` });
      expectError(res, 400, 'VALIDATION_ERROR', message);
    });
  });

  describe('refused bodies', () => {
    const long = 'x'.repeat(300);
    const cases: [string, unknown, RegExp][] = [
      ['epochs 0', { epochs: 0 }, /epochs/],
      ['epochs 101', { epochs: 101 }, /epochs/],
      ['epochs "5"', { epochs: '5' }, /epochs/],
      ['epochs 2.5', { epochs: 2.5 }, /epochs/],
      ['epochs null', { epochs: null }, /epochs/],
      ['batchSize 0', { batchSize: 0 }, /batchSize/],
      ['batchSize 5000', { batchSize: 5000 }, /batchSize/],
      ['learningRate 0', { learningRate: 0 }, /learningRate/],
      ['learningRate -1', { learningRate: -1 }, /learningRate/],
      ['learningRate 2', { learningRate: 2 }, /learningRate/],
      ['hiddenLayers []', { hiddenLayers: [] }, /hiddenLayers/],
      ['hiddenLayers [0]', { hiddenLayers: [0] }, /hiddenLayers/],
      ['hiddenLayers [3000]', { hiddenLayers: [3000] }, /hiddenLayers/],
      ['hiddenLayers of 9 items', { hiddenLayers: Array(9).fill(8) }, /hiddenLayers/],
      ['hiddenLayers ["a"]', { hiddenLayers: ['a'] }, /hiddenLayers/],
      ['hiddenLayers 64', { hiddenLayers: 64 }, /hiddenLayers/],
      ['activation softplus', { activation: 'softplus' }, /activation/],
      ['optimizer lbfgs', { optimizer: 'lbfgs' }, /optimizer/],
      ['validationSplit 0.6', { validationSplit: 0.6 }, /validationSplit/],
      ['validationSplit -0.1', { validationSplit: -0.1 }, /validationSplit/],
      ['seed -1', { seed: -1 }, /seed/],
      ['seed 1.5', { seed: 1.5 }, /seed/],
      ['name ""', { name: '' }, /name/],
      ['name of 300 characters', { name: long }, /name/],
      ['dataset ""', { dataset: '' }, /dataset/],
      ['dataset 5', { dataset: 5 }, /dataset/],
      ['timeoutSeconds 0', { timeoutSeconds: 0 }, /timeoutSeconds/],
      ['timeoutSeconds -5', { timeoutSeconds: -5 }, /timeoutSeconds/],
      ['timeoutSeconds 1.5', { timeoutSeconds: 1.5 }, /timeoutSeconds/],
      ['timeoutSeconds 1e12', { timeoutSeconds: 1e12 }, /timeoutSeconds/],
      ['timeoutSeconds "60"', { timeoutSeconds: '60' }, /timeoutSeconds/],
      ['a JSON array', [], /body/],
      ['a JSON string', 'epochs', /body/],
    ];

    it.each(cases)('%s → 400 VALIDATION_ERROR naming the field', async (_, payload, message) => {
      const before = (await listJobs()).length;
      const res = await postRaw('application/json', JSON.stringify(payload));
      expectError(res, 400, 'VALIDATION_ERROR', message);
      expect(await listJobs()).toHaveLength(before);
    });

    it('an unknown field → 400 VALIDATION_ERROR naming the field', async () => {
      const before = (await listJobs()).length;
      const res = await post({ epochs: 1, epoch: 3 });
      expect(await listJobs()).toHaveLength(before);
      expectError(res, 400, 'VALIDATION_ERROR', /\bepoch\b/);
    });

    it.each([
      ['epochs 0', { epochs: 0 }, 'body.epochs must be >= 1', { path: '/epochs', message: 'must be >= 1' }],
      [
        'hiddenLayers [8, 0]',
        { hiddenLayers: [8, 0] },
        'body.hiddenLayers.1 must be >= 1',
        { path: '/hiddenLayers/1', message: 'must be >= 1' },
      ],
      [
        'an unknown field',
        { epochs: 1, 'a/b~c': 3 },
        'body has an unknown field "a/b~c"',
        { path: '/a~1b~0c', message: 'is not a known field' },
      ],
      [
        'activation softplus',
        { activation: 'softplus' },
        'body.activation must be one of relu, tanh, sigmoid, elu',
        { path: '/activation', message: 'must be one of relu, tanh, sigmoid, elu' },
      ],
    ])('%s → errors[] names the field by JSON pointer', async (_, payload, message, field) => {
      const res = await post(payload);
      expect(res.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message,
        code: 'VALIDATION_ERROR',
        errors: [field],
      });
    });

    it('a bad query parameter → errors[] names it by JSON pointer into the query', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/training-jobs?limit=0' });
      expect(res.json()).toMatchObject({
        message: 'querystring.limit must be >= 1',
        errors: [{ path: '/limit', message: 'must be >= 1' }],
      });
    });

    const raw: [string, string, string, number, string, RegExp][] = [
      ['malformed JSON', 'application/json', '{"epochs": 3,', 400, 'INVALID_JSON', /not valid JSON/],
      ['JSON with a trailing comma', 'application/json', '{"epochs": 3,}', 400, 'INVALID_JSON', /not valid JSON/],
      ['an empty JSON body', 'application/json', '', 400, 'EMPTY_BODY', /empty/],
      ['text/plain', 'text/plain', '{"epochs":3}', 415, 'UNSUPPORTED_MEDIA_TYPE', /text\/plain|Unsupported/i],
      ['application/xml', 'application/xml', '<epochs>3</epochs>', 415, 'UNSUPPORTED_MEDIA_TYPE', /xml|Unsupported/i],
      ['a PNG', 'image/png', 'not really', 415, 'UNSUPPORTED_MEDIA_TYPE', /image\/png|Unsupported/i],
    ];

    it.each(raw)('%s is refused', async (_, type, payload, status, code, message) => {
      const before = (await listJobs()).length;
      const res = await postRaw(type, payload);
      expectError(res, status, code, message);
      expect(await listJobs()).toHaveLength(before);
    });

    it.each([
      ['a __proto__ key', '{"__proto__":{"x":1}}'],
      ['a constructor.prototype key', '{"constructor":{"prototype":{"x":1}}}'],
    ])('%s → 400', async (_, payload) => {
      const before = (await listJobs()).length;
      const res = await postRaw('application/json', payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
      expect(await listJobs()).toHaveLength(before);
    });

    it.each([
      ['a __proto__ key', '{"__proto__":{"x":1}}'],
      ['a constructor.prototype key', '{"constructor":{"prototype":{"x":1}}}'],
    ])('%s → 400 FORBIDDEN_KEY saying which key is refused', async (_, payload) => {
      const res = await postRaw('application/json', payload);
      expectError(res, 400, 'FORBIDDEN_KEY', /__proto__|constructor/);
    });

    it.each([
      ['10,000 unclosed [', '['.repeat(10_000)],
      ['10,000 nested arrays', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
      ['10,000 nested objects', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
    ])('%s → 400, and the process keeps answering', async (_, payload) => {
      const before = (await listJobs()).length;
      const res = await postRaw('application/json', payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
      expect(['INVALID_JSON', 'VALIDATION_ERROR']).toContain(res.json().code);
      expect(await listJobs()).toHaveLength(before);
      const health = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.json()).toEqual({ status: 'ok' });
    });

    it('an unknown dataset → 404 naming it', async () => {
      const before = (await listJobs()).length;
      const res = await post({ dataset: 'no-such-dataset' });
      expectError(res, 404, 'DATASET_NOT_FOUND', /no-such-dataset/);
      const upload = await post({ dataset: 'ds_0123456789abcdef' });
      expectError(upload, 404, 'DATASET_NOT_FOUND', /ds_0123456789abcdef/);
      expect(await listJobs()).toHaveLength(before);
    });
  });

  describe('budgets', () => {
    const refused: [string, object, string, RegExp][] = [
      [
        '8 × 2048 hidden units',
        { hiddenLayers: Array(8).fill(2048), batchSize: 1 },
        'MODEL_TOO_LARGE',
        /^the network has 31,002,634 parameters; at most 8,000,000 \(MAX_MODEL_PARAMS\)/,
      ],
      [
        'batch 4096 with 1024 hidden units',
        { hiddenLayers: [512, 512], batchSize: 4096 },
        'BATCH_TOO_LARGE',
        /^batchSize × hidden units is 4,096 × 1,024 = 4,194,304; at most 2,097,152 \(MAX_BATCH_UNITS\)/,
      ],
      [
        '100 epochs of a 1.6 M-parameter network on 8,000 images, held out 0.1',
        { hiddenLayers: [2048, 64], epochs: 100, validationSplit: 0.1 },
        'JOB_TOO_LARGE',
        // 6 × 1,739,466 × 7,200 × 100 = 7,514.5 GFLOP, over the 5,000 of this app
        /^the job needs about 7,515 GFLOP \(6 × 1,739,466 parameters × 7,200 training samples × 100 epochs\); at most 5,000 \(MAX_JOB_GFLOP\)/,
      ],
      [
        'timeoutSeconds above the setting',
        { timeoutSeconds: 3601 },
        'TIMEOUT_TOO_LONG',
        /^timeoutSeconds is 3,601; at most 3,600 \(JOB_TIMEOUT_SECONDS\)$/,
      ],
    ];
    let capped: TestApp;
    beforeAll(async () => {
      capped = await buildTestApp({ MAX_JOB_GFLOP: '5000', JOB_TIMEOUT_SECONDS: '3600' });
    });
    afterAll(() => capped.close());
    const postCapped = (payload: object) => capped.app.inject({ method: 'POST', url: '/v1/training-jobs', payload });

    it.each(refused)(
      '%s → 400 naming the figure, the cap and the setting; nothing queued',
      async (_, body, code, message) => {
        const res = await postCapped(body);
        expectError(res, 400, code, message);
        const list = await capped.app.inject({ method: 'GET', url: '/v1/training-jobs' });
        expect(list.json()).toEqual({ items: [] });
      },
    );

    it('queues jobs exactly at the caps, with the run-time limit they asked for', async () => {
      // 2,048 × 1,024 hidden units = MAX_BATCH_UNITS exactly.
      const atBatchCap = await postCapped({ hiddenLayers: [1024], batchSize: 2048, epochs: 1, timeoutSeconds: 3600 });
      expect(atBatchCap.statusCode).toBe(202);
      expect(atBatchCap.json()).toMatchObject({ timeoutSeconds: 3600, params: { batchSize: 2048 } });
      const short = await postCapped({ timeoutSeconds: 1 });
      expect(short.statusCode).toBe(202);
      expect(short.json().timeoutSeconds).toBe(1);
      const got = await capped.app.inject({ method: 'GET', url: `/v1/training-jobs/${short.json().id}` });
      expect(got.json().timeoutSeconds).toBe(1);
      for (const id of [atBatchCap.json().id, short.json().id]) {
        const cancel = await capped.app.inject({ method: 'POST', url: `/v1/training-jobs/${id}/cancel` });
        expect(cancel.statusCode).toBe(202);
      }
    });
  });

  describe('with MAX_UPLOAD_BYTES=2048', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await buildTestApp({ MAX_UPLOAD_BYTES: '2048' });
    });
    afterAll(() => small.close());

    it('refuses a larger body with 413 and creates no job', async () => {
      const res = await small.app.inject({
        method: 'POST',
        url: '/v1/training-jobs',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'n'.repeat(150), padding: 'x'.repeat(3000) }),
      });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE', /2048 bytes/);
      const list = await small.app.inject({ method: 'GET', url: '/v1/training-jobs' });
      expect(list.json()).toEqual({ items: [] });
    });

    it('still accepts a body under the limit', async () => {
      const res = await small.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: { epochs: 1 } });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ state: 'queued', params: { epochs: 1 } });
    });
  });
});
