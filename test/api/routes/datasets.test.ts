import { ACCEPTED } from '../../../src/api/routes/dataset-upload.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { makeIdxFiles, makeIdxImages, makeIdxLabels } from '../../helpers/idx.js';
import { expectError, multipart, type Part } from '../../helpers/http.js';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const FILE_NAMES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

const filesOf = (files: Record<string, Uint8Array>): Part[] => Object.entries(files);

describe('datasets routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  const list = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/datasets' });
    expect(res.statusCode).toBe(200);
    return (res.json() as { items: { id: string }[] }).items;
  };
  const upload = async (parts: Part[]) =>
    t.app.inject({ method: 'POST', url: '/v1/datasets', ...(await multipart(parts, { filename: (n) => `${n}.idx` })) });
  const uploadOk = async (name: string, train = 20, test = 10) => {
    const res = await upload([['name', name], ...filesOf(makeIdxFiles(train, test))]);
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string };
  };
  describe('built-ins', () => {
    it('lists mnist-sample, fashion-mnist and mnist', async () => {
      const items = await list();
      expect(items.map((d) => d.id)).toEqual(['mnist-sample', 'fashion-mnist', 'mnist']);
      const common = { builtin: true, imageShape: [28, 28], classes: 10, createdAt: null };
      expect(items[0]).toEqual({
        ...common,
        id: 'mnist-sample',
        name: expect.any(String),
        available: true,
        trainSize: 8000,
        testSize: 2000,
        labels: DIGITS,
        preprocess: 'mnist',
      });

      const dir = t.config.FASHION_MNIST_DIR;
      const present = FILE_NAMES.every((f) => existsSync(join(dir, f)) || existsSync(join(dir, `${f}.gz`)));
      const fashion = items[1] as Record<string, unknown>;
      expect(fashion).toMatchObject({ ...common, id: 'fashion-mnist', available: present });
      expect(fashion.trainSize).toBe(60000);
      expect(fashion.testSize).toBe(10000);
      expect(fashion.labels).toHaveLength(10);
      expect(fashion.labels).toContain('Ankle boot');
      if (present) expect(fashion.note).toBeUndefined();
      else expect(fashion.note).toContain('FASHION_MNIST_DIR');
      // Answers never show this machine's paths.
      expect(JSON.stringify(items)).not.toContain(dir);
      expect(JSON.stringify(items)).not.toContain(t.config.DATA_DIR);

      // No MNIST_DIR and an empty private DATA_DIR: available, fetched on first use.
      expect(items[2]).toMatchObject({ ...common, id: 'mnist', available: true, labels: DIGITS });
      expect((items[2] as Record<string, unknown>).note).toMatch(/downloaded .* on first use/);
    });

    it('GET /v1/datasets/mnist-sample answers the same resource', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/datasets/mnist-sample' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual((await list())[0]);
    });

    it.each([
      ['an unknown id', 'nope', /"nope" not found/],
      ['a well-formed upload id that does not exist', 'ds_0123456789abcdef', /ds_0123456789abcdef/],
      ['path traversal', '..%2F..%2Fetc', /not found/],
      ['a NUL byte', 'ds_%00', /not found/],
    ])('GET %s → 404', async (_, id, message) => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/datasets/${id}` });
      expectError(res, 404, 'DATASET_NOT_FOUND', message);
    });
  });

  describe('uploads', () => {
    it('stores plain IDX files: 201, Location, the resource; then lists and GETs it', async () => {
      const before = await list();
      const res = await upload([['name', 'plain digits'], ...filesOf(makeIdxFiles(30, 12))]);
      expect(res.statusCode).toBe(201);
      const created = res.json();
      expect(created).toEqual({
        id: expect.stringMatching(/^ds_[0-9a-f]{24}$/),
        name: 'plain digits',
        builtin: false,
        available: true,
        trainSize: 30,
        testSize: 12,
        imageShape: [28, 28],
        classes: 10,
        labels: DIGITS,
        preprocess: 'mnist',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(res.headers.location).toBe(`/v1/datasets/${created.id}`);
      const after = await list();
      expect(after).toHaveLength(before.length + 1);
      expect(after).toContainEqual(created);
      const got = await t.app.inject({ method: 'GET', url: res.headers.location as string });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toEqual(created);
    });

    it('stores gzipped IDX files (and a mix of gzipped and plain)', async () => {
      const files = makeIdxFiles(25, 15);
      const res = await upload([
        ['name', '  gzipped  '],
        ['trainImages', gzipSync(files.trainImages)],
        ['trainLabels', gzipSync(files.trainLabels)],
        ['testImages', gzipSync(files.testImages)],
        ['testLabels', files.testLabels],
      ]);
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ name: 'gzipped', builtin: false, trainSize: 25, testSize: 15 });
      const got = await t.app.inject({ method: 'GET', url: `/v1/datasets/${res.json().id}` });
      expect(got.json()).toEqual(res.json());
    });

    const good = () => makeIdxFiles(20, 10);
    const without = (field: string): Part[] => filesOf(good()).filter(([f]) => f !== field);
    const replacing = (field: string, value: Uint8Array): Part[] =>
      filesOf(good()).map(([f, v]): Part => [f, f === field ? value : v]);
    const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 10);
    const truncated = good().testImages.subarray(0, 16 + 784 * 10 - 100);
    const lying = Buffer.from(good().trainImages);
    lying.writeUInt32BE(21, 4);

    const bad: [string, Part[], string, RegExp][] = [
      ['a missing file field', [['name', 'x'], ...without('testLabels')], 'MISSING_FIELD', /testLabels/],
      ['no file at all', [['name', 'x']], 'MISSING_FIELD', /trainImages, trainLabels, testImages, testLabels/],
      [
        'an unknown file field first',
        [['name', 'x'], ['validImages', good().testImages], ...filesOf(good())],
        'UNEXPECTED_FIELD',
        /validImages/,
      ],
      [
        'a file field given twice',
        [['name', 'x'], ['trainImages', good().trainImages], ...filesOf(good())],
        'UNEXPECTED_FIELD',
        /trainImages/,
      ],
      ['an unknown text field', [['comment', 'hi'], ['name', 'x'], ...filesOf(good())], 'UNEXPECTED_FIELD', /comment/],
      ['a missing name', filesOf(good()), 'MISSING_FIELD', /name/],
      ['a blank name', [['name', '   '], ...filesOf(good())], 'MISSING_FIELD', /name/],
      ['a 101-character name', [['name', 'n'.repeat(101)], ...filesOf(good())], 'MISSING_FIELD', /name/],
      [
        'labels given as images (wrong magic)',
        [['name', 'x'], ...replacing('trainImages', good().trainLabels)],
        'INVALID_IDX',
        /trainImages: not an IDX image file/,
      ],
      [
        'random bytes as labels',
        [['name', 'x'], ...replacing('testLabels', Buffer.from('hello, world'))],
        'INVALID_IDX',
        /testLabels: not an IDX label file/,
      ],
      [
        'a truncated image file',
        [['name', 'x'], ...replacing('testImages', truncated)],
        'INVALID_IDX',
        /testImages: header declares 10 images/,
      ],
      [
        'a truncated header',
        [['name', 'x'], ...replacing('trainImages', good().trainImages.subarray(0, 10))],
        'INVALID_IDX',
        /trainImages: truncated IDX header/,
      ],
      [
        'a header declaring more images than the file has',
        [['name', 'x'], ...replacing('trainImages', lying)],
        'INVALID_IDX',
        /trainImages: header declares 21 images/,
      ],
      [
        '32×32 images',
        [['name', 'x'], ...replacing('trainImages', makeIdxImages(20, undefined, { rows: 32, cols: 32 }))],
        'INVALID_IDX',
        /trainImages: images are 32×32/,
      ],
      [
        'a label out of range',
        [['name', 'x'], ...replacing('trainLabels', makeIdxLabels([...labels(19), 200]))],
        'INVALID_IDX',
        /trainLabels: label 200 at index 19 is outside 0–99 \(MAX_CLASSES is 100\)/,
      ],
      [
        'fewer labels than images',
        [['name', 'x'], ...replacing('testLabels', makeIdxLabels(labels(9)))],
        'INVALID_IDX',
        /test: 10 images but 9 labels/,
      ],
      [
        'corrupt gzip',
        [['name', 'x'], ...replacing('testImages', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))],
        'INVALID_GZIP',
        /testImages: not valid gzip/,
      ],
      [
        'empty splits',
        [['name', 'x'], ...filesOf(makeIdxFiles(0, 0))],
        'INVALID_IDX',
        /train: the files hold no images/,
      ],
    ];

    it.each(bad)('refuses %s with 400, naming what is wrong, and stores nothing', async (_, parts, code, message) => {
      const before = await list();
      const res = await upload(parts);
      expectError(res, 400, code, message);
      expect(await list()).toEqual(before);
    });

    it.each([
      [
        'missing file fields',
        [['name', 'x'], ...without('testLabels').filter(([f]) => f !== 'trainImages')],
        [
          { path: '/trainImages', message: 'is required' },
          { path: '/testLabels', message: 'is required' },
        ],
      ],
      [
        'a file field given twice',
        [['name', 'x'], ['trainImages', good().trainImages], ...filesOf(good())],
        [{ path: '/trainImages', message: 'is given more than once' }],
      ],
      [
        'an unknown text field',
        [['comment', 'hi'], ['name', 'x'], ...filesOf(good())],
        [
          {
            path: '/comment',
            message: 'is not expected: the text fields are name, labels, testSplit, seed, preprocess',
          },
        ],
      ],
      [
        'an unknown file field',
        [['name', 'x'], ['validImages', good().testImages], ...filesOf(good())],
        [
          {
            path: '/validImages',
            message: `is not expected: a dataset upload is ${ACCEPTED}`,
          },
        ],
      ],
      [
        'the name given twice',
        [['name', 'x'], ['name', 'y'], ...filesOf(good())],
        [{ path: '/name', message: 'is given more than once' }],
      ],
      ['a missing name', filesOf(good()), [{ path: '/name', message: 'is required (1–100 characters)' }]],
    ] as [string, Part[], unknown[]][])('refuses %s, listing the fields in errors[]', async (_, parts, fields) => {
      const res = await upload(parts);
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual(fields);
    });

    const late: Record<string, Part[]> = {
      'an unknown file field last': [['name', 'x'], ...filesOf(good()), ['validImages', good().testImages]],
      'an unknown text field last': [...filesOf(good()), ['name', 'x'], ['comment', 'hi']],
      'an unknown text field right after the name': [['name', 'x'], ['comment', 'hi'], ...filesOf(good())],
      'the name given twice': [['name', 'x'], ['name', 'y'], ...filesOf(good())],
    };

    it.each(Object.entries(late))('refuses %s with 400 naming it, storing nothing', async (_, parts) => {
      const before = await list();
      const res = await upload(parts);
      expect(await list()).toEqual(before);
      expectError(res, 400, 'UNEXPECTED_FIELD', /validImages|comment|name/);
    });

    it.each(['an unknown file field last', 'an unknown text field last'])(
      'refuses %s with a 4xx and stores nothing',
      async (name) => {
        const before = await list();
        const res = await upload(late[name]!);
        expect([400, 413]).toContain(res.statusCode);
        const { errors, ...rest } = res.json();
        expect(rest).toEqual({
          statusCode: res.statusCode,
          error: expect.any(String),
          message: expect.stringMatching(/limit|unexpected/),
          code: expect.any(String),
        });
        // A 400 names the surplus field; a 413 (a parser limit reached first) names none.
        if (res.statusCode === 400)
          expect(errors).toEqual([
            { path: expect.stringMatching(/^\/(validImages|comment)$/), message: expect.any(String) },
          ]);
        expect(await list()).toEqual(before);
      },
    );

    it.each([
      ['JSON', 'application/json', JSON.stringify({ name: 'x' })],
      ['text/plain', 'text/plain', 'name=x'],
      ['a form-urlencoded body', 'application/x-www-form-urlencoded', 'name=x'],
    ])('refuses %s with 415 and stores nothing', async (_, type, payload) => {
      const before = await list();
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/datasets',
        headers: { 'content-type': type },
        payload,
      });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', new RegExp(`content type "${type}" is not accepted`));
      expect(await list()).toEqual(before);
    });
  });

  describe('DELETE /v1/datasets/:id', () => {
    it('deletes an upload: 204, then 404', async () => {
      const { id } = await uploadOk('to delete');
      const res = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expectError(await t.app.inject({ method: 'GET', url: `/v1/datasets/${id}` }), 404, 'DATASET_NOT_FOUND', /ds_/);
      expectError(await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` }), 404, 'DATASET_NOT_FOUND', /ds_/);
      expect((await list()).map((d) => d.id)).not.toContain(id);
    });

    it.each(['mnist-sample', 'mnist', 'fashion-mnist'])('refuses to delete built-in %s with 409', async (id) => {
      const res = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` });
      expectError(res, 409, 'DATASET_BUILTIN', /built-in/);
      expect((await list()).map((d) => d.id)).toContain(id);
    });

    it('refuses to delete an upload a queued job trains on with 409 DATASET_IN_USE', async () => {
      const { id } = await uploadOk('in use');
      const job = await t.app.inject({ method: 'POST', url: '/v1/training-jobs', payload: { dataset: id, epochs: 1 } });
      expect(job.statusCode).toBe(202);
      expect(job.json()).toMatchObject({ dataset: id, state: 'queued' });
      const res = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` });
      expectError(res, 409, 'DATASET_IN_USE', new RegExp(id));
      const got = await t.app.inject({ method: 'GET', url: `/v1/datasets/${id}` });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({ id, name: 'in use' });
    });

    it.each([
      ['an unknown id', 'ds_0123456789abcdef'],
      ['path traversal', '..%2F..%2Fetc'],
      ['an encoded dot-dot id', '%2E%2E'],
    ])('answers 404 for %s', async (_, id) => {
      const res = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    });
  });
});
