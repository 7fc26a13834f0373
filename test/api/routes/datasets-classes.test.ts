import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { makeIdxFiles } from '../../helpers/idx.js';
import { expectError, multipart, type Part } from '../../helpers/http.js';

/** IDX uploads of any number of classes: the `labels` and `preprocess` fields beside the files. */
describe('dataset uploads with named classes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ MAX_CLASSES: '12', MAX_MODEL_PARAMS: '95500' });
  });
  afterAll(() => t.close());

  const files = (classes: number): Part[] => Object.entries(makeIdxFiles(4 * classes, 2 * classes, classes));
  const upload = async (parts: Part[]) =>
    t.app.inject({ method: 'POST', url: '/v1/datasets', ...(await multipart(parts, { filename: (n) => `${n}.idx` })) });
  const uploads = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/datasets' });
    return (res.json() as { items: { builtin: boolean }[] }).items.filter((d) => !d.builtin);
  };

  it('stores three named classes and the fit rule, whichever order the fields come in', async () => {
    const res = await upload([
      ...files(3),
      ['labels', '["circle","square","star"]'],
      ['preprocess', 'fit'],
      ['name', 'shapes'],
    ]);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      name: 'shapes',
      classes: 3,
      labels: ['circle', 'square', 'star'],
      preprocess: 'fit',
      trainSize: 12,
      testSize: 6,
    });
    const got = await t.app.inject({ method: 'GET', url: res.headers.location as string });
    expect(got.json()).toEqual(res.json());
  });

  it('takes names separated by commas, and numbers classes past ten without names', async () => {
    const named = await upload([['name', 'abc'], ['labels', 'a, b, c, d'], ...files(4)]);
    expect(named.statusCode).toBe(201);
    expect(named.json()).toMatchObject({ classes: 4, labels: ['a', 'b', 'c', 'd'], preprocess: 'mnist' });
    const eleven = await upload([['name', 'eleven'], ...files(11)]);
    expect(eleven.statusCode).toBe(201);
    expect(eleven.json()).toMatchObject({ classes: 11, labels: Array.from({ length: 11 }, (_, i) => String(i)) });
  });

  it("counts a job's output layer by the dataset's classes", async () => {
    const created = await upload([['name', 'twelve'], ...files(12)]);
    expect(created.statusCode).toBe(201);
    const { id } = created.json() as { id: string };
    // 784 → 120 → 12 is 95,652 parameters (with ten classes it would be 95,410, under the cap).
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/training-jobs',
      payload: { dataset: id, hiddenLayers: [120] },
    });
    expectError(res, 400, 'MODEL_TOO_LARGE', /^the network has 95,652 parameters; at most 95,500 \(MAX_MODEL_PARAMS\)/);
  });

  it.each([
    ['one name', [['labels', 'only']], 3, 'INVALID_LABELS', /^labels: names 1 class\(es\); at least 2 are needed$/],
    [
      'more names than MAX_CLASSES',
      [['labels', 'a,b,c,d,e,f,g,h,i,j,k,l,m']],
      3,
      'INVALID_LABELS',
      /at most 12 \(MAX_CLASSES\)/,
    ],
    ['names alike but for case', [['labels', 'Dog,cat,dog']], 3, 'INVALID_LABELS', /differ only in case/],
    [
      'a name with a right-to-left override',
      [['labels', 'cat,dog,\u202egod']],
      3,
      'INVALID_LABELS',
      /^labels: name 2 holds an invisible or formatting character \(U\+202E\)$/,
    ],
    ['names as a JSON object', [['labels', '{"a":1}']], 3, 'INVALID_LABELS', /labels: names 1 class/],
    ['names as JSON numbers', [['labels', '[1,2,3]']], 3, 'INVALID_LABELS', /must be a JSON array of strings/],
    [
      'fewer names than the labels need',
      [['labels', 'a,b']],
      3,
      'INVALID_LABELS',
      /hold label 2, but "labels" names only 2/,
    ],
    [
      'a named class no training image has',
      [['labels', 'a,b,c,d']],
      3,
      'INVALID_LABELS',
      /^labels: class 3 \("d"\) has no training images; every named class needs some$/,
    ],
    ['labels past MAX_CLASSES', [], 13, 'INVALID_IDX', /label 12 at index 12 is outside 0–11 \(MAX_CLASSES is 12\)/],
    [
      'an unknown rule',
      [['preprocess', 'sharpen']],
      3,
      'INVALID_FIELD',
      /field "preprocess" must be one of mnist, fit/,
    ],
    [
      'a labels field over 64 KiB',
      [['labels', 'x,'.repeat(40_000)]],
      3,
      'VALIDATION_ERROR',
      /field "labels" is longer than 65536 bytes/,
    ],
    [
      'labels given twice',
      [
        ['labels', 'a,b,c'],
        ['labels', 'a,b,c'],
      ],
      3,
      'UNEXPECTED_FIELD',
      /field "labels" is given more than once/,
    ],
  ] as [string, Part[], number, string, RegExp][])(
    'refuses %s with a 400 saying so, and stores nothing',
    async (_what, extra, classes, code, message) => {
      const before = (await uploads()).length;
      const res = await upload([['name', 'bad'], ...extra, ...files(classes)]);
      expectError(res, 400, code, message);
      expect(await uploads()).toHaveLength(before);
    },
  );
});
