import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import sharp from 'sharp';
import { IMPORT_QUEUE } from '../../src/queue/import-queue.js';
import { TRAINING_QUEUE } from '../../src/queue/training-queue.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { DatasetResource } from '../../src/schemas/dataset.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { testConfig } from '../helpers/app.js';
import { classFolders, classPng, makeCsv, makeTar, makeZip } from '../helpers/archives.js';
import { multipart, type Part } from '../helpers/http.js';
import { makeIdxFiles } from '../helpers/idx.js';
import { startApi, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

const A = 'import-a-key-0123456789abcdef';
const B = 'import-b-key-0123456789abcdef';
const portOf = () => 30000 + Math.floor(Math.random() * 20000);
const CLASSES = Array.from({ length: 10 }, (_, i) => `c${i}`);

// Imports through real processes: an API staging uploads and a worker running the import jobs.
describe('dataset imports through the API and a worker', () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;

  const call = async (key: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) },
    });
    const type = res.headers.get('content-type') ?? '';
    const raw = Buffer.from(await res.arrayBuffer());
    const body = (type.includes('json') ? JSON.parse(raw.toString()) : {}) as Record<string, unknown> & {
      id: string;
      message: string;
    };
    return { status: res.status, type, body, raw };
  };
  const upload = async (key: string, parts: Part[]) => {
    const { headers, payload } = await multipart(parts);
    return call(key, '/v1/datasets', { method: 'POST', headers, body: new Uint8Array(payload) });
  };
  const settled = (key: string, id: string) =>
    waitFor(async () => {
      const d = (await call(key, `/v1/datasets/${id}`)).body as unknown as DatasetResource;
      return d.state === 'importing' ? undefined : d;
    }, 60_000);
  const submit = (key: string, dataset: string) =>
    call(key, '/v1/training-jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset, epochs: 1, batchSize: 16 }),
    });

  beforeAll(async () => {
    const base0 = await testConfig();
    const keysFile = join(base0.DATA_DIR, 'keys.txt');
    await writeFile(keysFile, `${A}:train+predict:team-a\n${B}:train+predict:team-b\n`);
    config = { ...base0, PORT: portOf(), API_KEYS_FILE: keysFile };
    base = `http://127.0.0.1:${config.PORT}`;
    [api, worker] = await Promise.all([startApi(config), startWorker(config)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it('imports a ZIP of class folders, trains a job submitted at once on it, and keeps its preview to its tenant', async () => {
    const zip = await makeZip(classFolders(CLASSES, 12, 'shapes/'));
    const res = await upload(A, [
      ['name', 'shapes'],
      ['seed', '42'],
      ['archive', zip],
    ]);
    expect(res.status).toBe(202);
    const accepted = res.body as unknown as DatasetResource;
    expect(accepted).toMatchObject({ state: 'importing', available: false, import: { seed: 42, testSplit: 0.2 } });
    const job = await submit(A, accepted.id);
    expect(job.status).toBe(202);
    const ready = await settled(A, accepted.id);
    expect(ready).toMatchObject({
      state: 'ready',
      available: true,
      classes: 10,
      labels: CLASSES,
      trainSize: 100,
      testSize: 20,
    });
    expect(ready.import!.report!.classes[0]).toEqual({ label: 'c0', train: 10, test: 2 });
    const done = await waitFor(async () => {
      const j = (await call(A, `/v1/training-jobs/${job.body.id as string}`)).body as unknown as TrainingJob;
      return j.state === 'completed' || j.state === 'failed' ? j : undefined;
    }, 120_000);
    expect(done.state).toBe('completed');

    // The preview is the owner's: another tenant's key gets the 404 of an unknown id.
    const preview = await call(A, `/v1/datasets/${accepted.id}/preview.png`);
    expect([preview.status, preview.type]).toEqual([200, 'image/png']);
    expect((await sharp(preview.raw).metadata()).height).toBe(10 * 30 + 2);
    expect((await call(B, `/v1/datasets/${accepted.id}/preview.png`)).status).toBe(404);
    expect((await call(B, `/v1/datasets/${accepted.id}`)).status).toBe(404);
  }, 180_000);

  it('trains a three-class ZIP with the fit rule into a model that predicts by the folder names', async () => {
    const names = ['circle', 'square', 'star'];
    const zip = await makeZip(classFolders(names, 20));
    const res = await upload(A, [
      ['name', 'three shapes'],
      ['preprocess', 'fit'],
      ['seed', '7'],
      ['archive', zip],
    ]);
    expect(res.status).toBe(202);
    const ready = await settled(A, res.body.id);
    expect(ready).toMatchObject({ state: 'ready', classes: 3, labels: names, preprocess: 'fit' });
    const job = await call(A, '/v1/training-jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: ready.id, model: 'three-shapes', epochs: 8, batchSize: 8, learningRate: 0.01 }),
    });
    expect(job.status).toBe(202);
    const done = await waitFor(async () => {
      const j = (await call(A, `/v1/training-jobs/${job.body.id}`)).body as unknown as TrainingJob;
      return j.state === 'completed' || j.state === 'failed' ? j : undefined;
    }, 120_000);
    expect(done.state).toBe('completed');
    expect(done.metrics!.confusionMatrix).toHaveLength(3);
    const model = (await call(A, `/v1/models/${done.modelId}`)).body;
    expect(model).toMatchObject({ labels: names, preprocess: 'fit' });
    const predicted = await call(A, '/v1/models/three-shapes/predict', {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(classPng(2, 1)),
    });
    expect(predicted.status).toBe(200);
    const [p] = (predicted.body as unknown as { predictions: { label: string; probabilities: number[] }[] })
      .predictions;
    expect(p!.probabilities).toHaveLength(3);
    expect(p!.label).toBe('star');
  }, 180_000);

  it('holds a training job in the queue while its dataset imports, then trains it', async () => {
    const connection = { host: new URL(config.REDIS_URL).hostname, port: Number(new URL(config.REDIS_URL).port) };
    const imports = new Queue(IMPORT_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
    const training = new Queue(TRAINING_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
    await imports.pause();
    try {
      const res = await upload(A, [
        ['name', 'held'],
        ['archive', await makeZip(classFolders(CLASSES, 6))],
      ]);
      expect(res.status).toBe(202);
      const job = await submit(A, res.body.id);
      expect(job.status).toBe(202);
      // The worker took the job, found the dataset importing and put the job back, delayed, without an attempt.
      await waitFor(async () => ((await training.getJobState(job.body.id)) === 'delayed' ? true : undefined));
      expect((await call(A, `/v1/training-jobs/${job.body.id}`)).body).toMatchObject({ state: 'queued' });
      expect((await training.getJob(job.body.id))?.attemptsMade).toBe(0);
      await imports.resume();
      const done = await waitFor(async () => {
        const j = (await call(A, `/v1/training-jobs/${job.body.id}`)).body as unknown as TrainingJob;
        return j.state === 'completed' || j.state === 'failed' ? j : undefined;
      }, 120_000);
      expect(done.state).toBe('completed');
    } finally {
      await imports.resume();
      await Promise.all([imports.close(), training.close()]);
    }
  }, 180_000);

  it('imports a tar.gz and CSV files', async () => {
    const tgz = await makeTar(classFolders(['x', 'y'], 6), true);
    const csv = makeCsv(12, (i) => ['round', 'flat'][i % 2]!);
    const [t, c] = await Promise.all([
      upload(A, [
        ['name', 'tgz'],
        ['archive', tgz],
      ]),
      upload(A, [
        ['name', 'csv'],
        ['preprocess', 'fit'],
        ['trainCsv', csv],
      ]),
    ]);
    expect([t.status, c.status]).toEqual([202, 202]);
    const [tr, cr] = await Promise.all([settled(A, t.body.id as string), settled(A, c.body.id as string)]);
    expect(tr).toMatchObject({ state: 'ready', labels: ['x', 'y'], import: { format: 'tar.gz' } });
    expect(cr).toMatchObject({
      state: 'ready',
      labels: ['flat', 'round'],
      import: { format: 'csv', preprocess: 'fit' },
    });
  }, 120_000);

  it('fails a hostile archive with the reason, and refuses a job on it with 409', async () => {
    const tar = await makeTar([
      ...classFolders(['a', 'b'], 3),
      { path: 'a/link.png', type: 'symlink', target: '/etc/passwd' },
    ]);
    const res = await upload(A, [
      ['name', 'links'],
      ['archive', tar],
    ]);
    expect(res.status).toBe(202);
    const failed = await settled(A, res.body.id as string);
    expect(failed).toMatchObject({ state: 'failed', available: false });
    expect(failed.import!.error).toMatch(/symbolic or hard link/);
    const job = await submit(A, failed.id);
    expect(job.status).toBe(409);
    expect(job.body).toMatchObject({ code: 'DATASET_IMPORT_FAILED' });
  }, 60_000);

  it('answers 400 for mixed kinds, no file, and an archive that is none, listing what is accepted', async () => {
    const idx = makeIdxFiles(20, 10);
    const mixed = await upload(A, [
      ['name', 'm'],
      ['archive', await makeZip(classFolders(['a', 'b'], 2))],
      ['trainImages', idx.trainImages],
    ]);
    expect(mixed.status).toBe(400);
    expect(mixed.body).toMatchObject({ code: 'MIXED_UPLOAD' });
    expect(mixed.body.message).toMatch(/"archive" \(ZIP, tar or tar.gz of class folders\); "trainCsv"/);
    const none = await upload(A, [['name', 'n']]);
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ code: 'MISSING_FIELD' });
    expect(none.body.message).toMatch(/a dataset upload is one of/);
    const junk = await upload(A, [
      ['name', 'j'],
      ['archive', Buffer.from('x'.repeat(600))],
    ]);
    expect(junk.status).toBe(400);
    expect(junk.body).toMatchObject({
      code: 'INVALID_ARCHIVE',
      message: 'archive: not a ZIP, tar or gzipped tar file',
    });
    const split = await upload(A, [
      ['name', 's'],
      ['testSplit', '0.9'],
      ['archive', await makeZip(classFolders(['a', 'b'], 2))],
    ]);
    expect(split.status).toBe(400);
    expect(split.body.message).toMatch(/testSplit/);
    // None of the refused uploads left a dataset behind.
    const names = ((await call(A, '/v1/datasets')).body.items as DatasetResource[]).map((d) => d.name);
    expect(names.filter((n) => ['m', 'n', 'j', 's'].includes(n))).toEqual([]);
  }, 60_000);
});
