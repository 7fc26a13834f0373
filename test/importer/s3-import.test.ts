import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatasetStore } from '../../src/datasets/store.js';
import { runImport } from '../../src/importer/run-import.js';
import { classFolders, makeTar } from '../helpers/archives.js';
import { S3_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3-server.js';

let s3: TestS3;
let localDir: string;
const saved = { ...process.env };
beforeAll(async () => {
  s3 = await startS3();
  localDir = await mkdtemp(join(tmpdir(), 'trainyard-s3-import-'));
  process.env.AWS_ACCESS_KEY_ID = S3_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS.secretAccessKey;
});
afterAll(async () => {
  process.env = saved;
  await s3?.close();
  await rm(localDir, { recursive: true, force: true });
});

// The upload staged by one process and imported by another, through an S3 bucket (s3rver).
describe('an import on S3 storage', () => {
  it('stages the archive in the bucket, imports it from there and leaves only the dataset', async () => {
    const storage = s3.storage(`t-${randomBytes(4).toString('hex')}/`);
    const store = (dir: string) =>
      createDatasetStore({
        storage,
        dir,
        fashionMnistDir: 'none',
        mnistDir: '',
        mnistBaseUrl: 'http://127.0.0.1:9/',
        maxUploadBytes: 1024 * 1024,
      });
    const api = store(join(localDir, 'api'));
    const session = await api.beginImport('key:test');
    await session.addSource('archive', Readable.from([await makeTar(classFolders(['a', 'b'], 5), true)]));
    const { id } = await session.commit('on s3', { preprocess: 'mnist', testSplit: 0.2, seed: 3 });
    await session.abort();
    expect(await storage.list(`datasets/${id}/`)).toEqual([
      `datasets/${id}/import.json`,
      `datasets/${id}/source/archive`,
    ]);
    const worker = store(join(localDir, 'worker'));
    const outcome = await runImport(id, {
      storage,
      settings: {
        maxEntries: 1000,
        maxUnpackedBytes: 1024 ** 2,
        maxImages: 1000,
        maxClasses: 10,
        maxPixels: 4096 ** 2,
        maxDecodeBytes: 64 * 1024 ** 2,
        maxSeconds: 60,
        bytesPerOwner: 1024 ** 2,
        stagingDir: join(localDir, 'worker', '.staging'),
      },
      storedByOwner: (owner, except) => worker.storedBy(owner, except),
      onProgress: () => {},
    });
    expect(outcome).toBe('ready');
    expect((await storage.list(`datasets/${id}/`)).map((k) => k.split('/').slice(2).join('/'))).toEqual([
      'dataset.json',
      'preview.png',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
    ]);
    const loaded = await api.load(id);
    expect([loaded.train.count, loaded.test.count, loaded.labels]).toEqual([8, 2, ['a', 'b']]);
  });
});
