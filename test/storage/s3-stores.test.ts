import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createCheckpointStore } from '../../src/models/checkpoints.js';
import type { ObjectStorage } from '../../src/storage/types.js';
import type { Checkpoint } from '../../src/training/checkpoint.js';
import { createDatasetStore } from '../../src/datasets/store.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { makeIdxFiles, makeIdxImages } from '../helpers/idx.js';
import { storeTrainedModel, syntheticPng } from '../helpers/model.js';
import { S3_BUCKET, S3_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3-server.js';
import { multipart } from '../helpers/http.js';
import { storageFromConfig } from '../../src/stores.js';

let s3: TestS3;
let localDir: string;
const saved = { ...process.env };
beforeAll(async () => {
  s3 = await startS3();
  // DATA_DIR of the dataset stores: their uploads' staging files, nothing else.
  localDir = await mkdtemp(join(tmpdir(), 'trainyard-s3-stores-'));
  // The S3 storage takes credentials from the SDK's default chain, as it does in production.
  process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey;
});
afterAll(async () => {
  process.env = saved;
  await s3?.close();
  await rm(localDir, { recursive: true, force: true });
});

const prefix = () => `t-${randomBytes(4).toString('hex')}/`;

function datasetStore(storage: ObjectStorage) {
  return createDatasetStore({
    storage,
    dir: localDir,
    fashionMnistDir: 'no-fashion-mnist-here',
    mnistDir: '',
    mnistBaseUrl: 'http://127.0.0.1:9/',
    maxUploadBytes: 1024 * 1024,
  });
}

const upload = (name: string, train = 30, test = 10) => ({ name, owner: 'key:test', ...makeIdxFiles(train, test) });
const uploadIds = async (store: ReturnType<typeof datasetStore>) =>
  (await store.list()).filter((d) => !d.builtin).map((d) => d.id);

describe('dataset uploads on S3', () => {
  it('creates, lists, loads from another process and removes', async () => {
    const storage = s3.storage(prefix());
    const store = datasetStore(storage);
    const info = await store.create(upload('on s3', 40, 20));
    expect(await storage.list(`datasets/${info.id}/`)).toEqual(
      [
        'dataset.json',
        't10k-images-idx3-ubyte',
        't10k-labels-idx1-ubyte',
        'train-images-idx3-ubyte',
        'train-labels-idx1-ubyte',
      ].map((f) => `datasets/${info.id}/${f}`),
    );
    const other = datasetStore(storage);
    expect(await uploadIds(other)).toEqual([info.id]);
    expect(await other.get(info.id)).toEqual(info);
    const loaded = await other.load(info.id);
    expect([loaded.train.count, loaded.test.count]).toEqual([40, 20]);
    expect(Buffer.compare(Buffer.from(loaded.train.images), makeIdxImages(40).subarray(16))).toBe(0);

    await store.remove(info.id);
    await expect(other.get(info.id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    await expect(store.remove(info.id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    expect(await storage.list('datasets/')).toEqual([]);
    // Each file was staged on local disk on its way to the bucket, and removed after.
    expect(await readdir(join(localDir, '.staging'))).toEqual([]);
  });

  it('stores an upload all or nothing when storage fails mid-way', async () => {
    const storage = s3.storage(prefix());
    let puts = 0;
    // The real S3 storage, failing its third write as a network error would.
    const failing: ObjectStorage = {
      ...storage,
      async putFile(key, path) {
        if (++puts === 3) throw new Error('connection reset');
        return storage.putFile(key, path);
      },
    };
    await expect(datasetStore(failing).create(upload('broken'))).rejects.toThrow('connection reset');
    expect(await storage.list('datasets/')).toEqual([]);
    expect(await uploadIds(datasetStore(storage))).toEqual([]);
  });

  it('ignores files of an upload whose dataset.json was never written', async () => {
    const storage = s3.storage(prefix());
    const store = datasetStore(storage);
    const whole = await store.create(upload('whole'));
    const files = makeIdxFiles(30, 10);
    await storage.put('datasets/ds_00000000000000aa/train-images-idx3-ubyte', files.trainImages);
    await storage.put('datasets/ds_00000000000000aa/train-labels-idx1-ubyte', files.trainLabels);
    expect(await uploadIds(store)).toEqual([whole.id]);
    await expect(store.load('ds_00000000000000aa')).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });
});

describe('checkpoints on S3', () => {
  const checkpoint = (epoch: number): Checkpoint => ({
    runKey: 'run-1',
    epoch,
    history: [],
    rngState: 42,
    values: Float32Array.from([1, 2, epoch]),
    optimizer: { step: epoch * 10, buffers: [Float32Array.from([0.5, epoch])] },
    order: Uint32Array.from([2, 0, 1]),
  });

  it('saves, replaces, loads from another worker and removes', async () => {
    const storage = s3.storage(prefix());
    const store = createCheckpointStore({ storage });
    expect(await store.load('job-1')).toBeUndefined();
    await store.save('job-1', checkpoint(1));
    await store.save('job-1', checkpoint(2));
    const other = await createCheckpointStore({ storage }).load('job-1');
    expect(other).toEqual(checkpoint(2));
    expect(await storage.list('checkpoints/')).toEqual(['checkpoints/job-1.ckpt']);
    await store.remove('job-1');
    expect(await store.load('job-1')).toBeUndefined();
    await store.remove('job-1'); // already gone: no error
  });

  it("keeps a tenant's checkpoints under its own prefix, out of every other tenant's reach", async () => {
    const storage = s3.storage(prefix());
    const store = createCheckpointStore({ storage });
    await store.forTenant('team-a').save('job-3', checkpoint(3));
    expect(await storage.list('tenants/team-a/checkpoints/')).toEqual(['tenants/team-a/checkpoints/job-3.ckpt']);
    expect(await store.load('job-3')).toBeUndefined();
    expect(await store.forTenant('team-b').load('job-3')).toBeUndefined();
    expect(await createCheckpointStore({ storage }).forTenant('team-a').load('job-3')).toEqual(checkpoint(3));
    await store.forTenant('team-a').remove('job-3');
    expect(await storage.list('tenants/')).toEqual([]);
  });

  it('treats an unreadable checkpoint as none', async () => {
    const storage = s3.storage(prefix());
    await storage.put('checkpoints/job-2.ckpt', Buffer.from([200, 0, 0, 0, 123]));
    expect(await createCheckpointStore({ storage }).load('job-2')).toBeUndefined();
  });
});

describe('storageFromConfig', () => {
  it('uses S3 for an s3:// STORAGE_URL, with endpoint, path style and the default credential chain', async () => {
    const p = prefix();
    const config = loadConfig({
      STORAGE_URL: `s3://${S3_BUCKET}/${p.slice(0, -1)}`,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: 'us-east-1',
    });
    const storage = storageFromConfig(config);
    expect(storage.location).toBe(`s3://${S3_BUCKET}/${p}`);
    await storage.put('checkpoints/x.ckpt', Buffer.from('via config'));
    expect((await s3.storage(p).get('checkpoints/x.ckpt'))?.toString()).toBe('via config');
  });
});

describe('the API on S3 storage', () => {
  let t: TestApp;
  let p: string;
  beforeAll(async () => {
    p = prefix();
    t = await buildTestApp({
      STORAGE_URL: `s3://${S3_BUCKET}/${p}`,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: 'us-east-1',
    });
  });
  afterAll(() => t?.close());

  it('serves datasets and models from the bucket and keeps nothing of them in DATA_DIR', async () => {
    const files = Object.entries(makeIdxFiles(20, 10));
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      ...(await multipart([['name', 'bucket data'], ...files], { filename: (n) => `${n}.idx` })),
    });
    expect(created.statusCode).toBe(201);
    const { id: datasetId } = created.json() as { id: string };
    const listed = await t.app.inject({ method: 'GET', url: '/v1/datasets' });
    expect((listed.json() as { items: { id: string }[] }).items.map((d) => d.id)).toContain(datasetId);

    // A worker elsewhere saves a model into the same bucket.
    const workerSide = storageFromConfig(t.config);
    const { createModelStore } = await import('../../src/models/store.js');
    const model = await storeTrainedModel({ models: createModelStore({ storage: workerSide }) });
    const models = await t.app.inject({ method: 'GET', url: `/v1/models/${model.id}` });
    expect(models.statusCode).toBe(200);
    expect(models.json()).toEqual(model);

    const predicted = await t.app.inject({
      method: 'POST',
      url: `/v1/predict?model=${model.id}`,
      headers: { 'content-type': 'image/png' },
      payload: syntheticPng(3),
    });
    expect(predicted.statusCode).toBe(200);
    expect((predicted.json() as { predictions: { class: number }[] }).predictions[0]?.class).toBe(3);

    const keys = await s3.storage(p).list('models/');
    expect(keys.filter((k) => k.endsWith('/metadata.json'))).toEqual([`models/${model.id}/metadata.json`]);
    expect(existsSync(join(t.config.DATA_DIR, 'models'))).toBe(false);
    expect(existsSync(join(t.config.DATA_DIR, 'datasets'))).toBe(false);
  });
});
