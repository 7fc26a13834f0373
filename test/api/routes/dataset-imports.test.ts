import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImportQueue } from '../../../src/queue/import-queue.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { classFolders, makeCsv, makeZip } from '../../helpers/archives.js';
import { expectError, multipart, type Part } from '../../helpers/http.js';
import { makeIdxFiles } from '../../helpers/idx.js';

const KEY_A = 'imports-a-key-0123456789abcdef';
const KEY_B = 'imports-b-key-0123456789abcdef';
const MB = 1024 * 1024;
const zipOfTwo = await makeZip(classFolders(['a', 'b'], 1));

// The API's half of imports, on fastify.inject with real Redis and files (no worker runs here).
describe('POST /v1/datasets with an archive or CSV files', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      API_KEYS: `${KEY_A}:train:team-a,${KEY_B}:train:team-b`,
      MAX_DATASET_BYTES: String(MB),
      MAX_DATASETS_PER_KEY: '3',
    });
  });
  afterAll(() => t.close());

  const upload = async (key: string, parts: Part[]) => {
    const body = await multipart(parts);
    return t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: body.payload,
      headers: { ...body.headers, authorization: `Bearer ${key}` },
    });
  };
  const staging = () => readdir(join(t.config.DATA_DIR, '.staging')).catch(() => []);

  it('stages an archive, answers 202 importing with a Location, and queues its import job', async () => {
    const zip = await makeZip(classFolders(['a', 'b'], 3));
    const res = await upload(KEY_A, [
      ['name', 'ab'],
      ['testSplit', '0.25'],
      ['seed', '9'],
      ['archive', zip],
    ]);
    expect(res.statusCode).toBe(202);
    const body = res.json() as { id: string };
    expect(res.headers.location).toBe(`/v1/datasets/${body.id}`);
    expect(body).toMatchObject({
      state: 'importing',
      available: false,
      import: { format: 'zip', preprocess: 'mnist', testSplit: 0.25, seed: 9, progress: { filesRead: 0 } },
    });
    const queue = createImportQueue(t.deps.redis, t.config.QUEUE_PREFIX);
    const job = await queue.getJob(body.id);
    expect(job?.data).toEqual({ tenant: 'team-a', dataset: body.id });
    await queue.close();
    // The archive waits in the tenant's storage; nothing stays in staging.
    const stored = await readdir(join(t.config.DATA_DIR, 'tenants/team-a/datasets', body.id, 'source'));
    expect(stored).toEqual(['archive']);
    expect(await staging()).toEqual([]);
    // Another tenant's key sees nothing of it.
    const other = await t.app.inject({ url: `/v1/datasets/${body.id}`, headers: { authorization: `Bearer ${KEY_B}` } });
    expect(other.statusCode).toBe(404);
    // A job on it is queued (it waits for the import in the worker).
    const jobRes = await t.app.inject({
      method: 'POST',
      url: '/v1/training-jobs',
      headers: { authorization: `Bearer ${KEY_A}` },
      payload: { dataset: body.id, epochs: 1 },
    });
    expect(jobRes.statusCode).toBe(202);
    // No preview before the import has run; none of the built-ins either.
    const preview = (id: string) =>
      t.app.inject({ url: `/v1/datasets/${id}/preview.png`, headers: { authorization: `Bearer ${KEY_A}` } });
    expectError(await preview(body.id), 404, 'PREVIEW_NOT_FOUND', /the dataset is still importing$/);
    expectError(await preview('mnist-sample'), 404, 'PREVIEW_NOT_FOUND', /built-in datasets have none$/);
  });

  it('refuses an archive over MAX_DATASET_BYTES as it arrives, keeping nothing', async () => {
    const big = Buffer.concat([await makeZip(classFolders(['a', 'b'], 1)), Buffer.alloc(2 * MB)]);
    const res = await upload(KEY_A, [
      ['name', 'big'],
      ['archive', big],
    ]);
    expectError(res, 413, 'PAYLOAD_TOO_LARGE', /^archive: more than \d+ bytes as uploaded/);
    expect(await staging()).toEqual([]);
  });

  it.each([
    ['testCsv without trainCsv', [['testCsv', makeCsv(2, String)]], 400, 'MISSING_FIELD', /"trainCsv" is required/],
    [
      'an empty archive',
      [['archive', Buffer.alloc(0)]],
      400,
      'INVALID_ARCHIVE',
      /^archive: not a ZIP, tar or gzipped tar file$/,
    ],
    [
      'two archives',
      [
        ['archive', zipOfTwo],
        ['archive', zipOfTwo],
      ],
      400,
      'UNEXPECTED_FIELD',
      /"archive" given twice/,
    ],
    ['an empty CSV', [['trainCsv', Buffer.alloc(0)]], 400, 'EMPTY_FILE', /^trainCsv: the file is empty$/],
    [
      'a bad seed',
      [
        ['seed', '-1'],
        ['trainCsv', makeCsv(2, String)],
      ],
      400,
      'INVALID_FIELD',
      /"seed" must be an integer/,
    ],
    [
      'a bad preprocess',
      [
        ['preprocess', 'blur'],
        ['trainCsv', makeCsv(2, String)],
      ],
      400,
      'INVALID_FIELD',
      /"preprocess" must be one of mnist, fit/,
    ],
    [
      'testSplit with IDX files',
      [['testSplit', '0.2'], ...Object.entries(makeIdxFiles(4, 2))],
      400,
      'UNEXPECTED_FIELD',
      /"testSplit" applies to archive and CSV uploads only/,
    ],
    [
      'a CSV beside IDX files',
      [
        ['trainImages', makeIdxFiles(4, 2).trainImages],
        ['trainCsv', makeCsv(2, String)],
      ],
      400,
      'MIXED_UPLOAD',
      /cannot be mixed with the idx upload/,
    ],
  ] as [string, Part[], number, string, RegExp][])('refuses %s', async (_what, parts, status, code, message) => {
    const res = await upload(KEY_A, [['name', 'x'], ...parts]);
    expectError(res, status, code, message);
    expect(await staging()).toEqual([]);
  });

  it('keeps to MAX_DATASETS_PER_KEY, counting imports', async () => {
    const csv = makeCsv(4, (i) => String(i % 2));
    expect(
      (
        await upload(KEY_B, [
          ['name', '1'],
          ['trainCsv', csv],
        ])
      ).statusCode,
    ).toBe(202);
    expect(
      (
        await upload(KEY_B, [
          ['name', '2'],
          ['trainCsv', csv],
        ])
      ).statusCode,
    ).toBe(202);
    expect(
      (
        await upload(KEY_B, [
          ['name', '3'],
          ['trainCsv', csv],
        ])
      ).statusCode,
    ).toBe(202);
    expectError(
      await upload(KEY_B, [
        ['name', '4'],
        ['trainCsv', csv],
      ]),
      429,
      'DATASET_QUOTA_EXCEEDED',
      /MAX_DATASETS_PER_KEY/,
    );
  });
});
