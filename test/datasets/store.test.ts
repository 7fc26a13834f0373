import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../../src/errors.js';
import { createFsStorage } from '../../src/storage/fs.js';
import { createDatasetStore } from '../../src/datasets/store.js';
import { newUploadId, sweepStaging } from '../../src/datasets/upload.js';
import type { DatasetUpload } from '../../src/datasets/types.js';
import { makeIdxFiles, makeIdxImages, makeIdxLabels } from '../helpers/idx.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'store-'));
  dirs.push(dir);
  return dir;
}

/** A store over fresh temp dirs: no Fashion-MNIST files, no reachable MNIST mirror. */
async function newStore(maxUploadBytes = 1024 * 1024, extra: Partial<Parameters<typeof createDatasetStore>[0]> = {}) {
  const dir = await tempDir();
  const fashionMnistDir = await tempDir();
  const store = createDatasetStore({
    storage: createFsStorage({ dir }),
    dir,
    fashionMnistDir,
    mnistDir: '',
    mnistBaseUrl: 'http://127.0.0.1:9/',
    maxUploadBytes,
    downloadTimeoutMs: 1000,
    ...extra,
  });
  return { store, dir, fashionMnistDir };
}

function upload(name: string, trainCount = 30, testCount = 10, gzip = false): DatasetUpload {
  const files = makeIdxFiles(trainCount, testCount);
  const z = (b: Buffer) => (gzip ? gzipSync(b) : b);
  return {
    name,
    owner: 'key:test',
    trainImages: z(files.trainImages),
    trainLabels: z(files.trainLabels),
    testImages: z(files.testImages),
    testLabels: files.testLabels,
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('dataset store', () => {
  it('creates, lists, gets, loads and removes an upload', async () => {
    const { store, dir } = await newStore();
    const first = await store.create(upload('first'));
    await sleep(5); // distinct createdAt, so "newest first" is observable
    const second = await store.create(upload('second', 40, 20, true));

    expect(first.id).toMatch(/^ds_[0-9a-f]{24}$/);
    expect(second).toMatchObject({
      name: 'second',
      builtin: false,
      available: true,
      trainSize: 40,
      testSize: 20,
      imageShape: [28, 28],
      classes: 10,
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    });
    expect(new Date(second.createdAt!).toISOString()).toBe(second.createdAt);

    const list = await store.list();
    expect(list.map((d) => d.id)).toEqual(['mnist-sample', 'fashion-mnist', 'mnist', second.id, first.id]);
    expect(await store.get(second.id)).toEqual(second);

    // Stored un-gzipped under the standard names.
    const stored = join(dir, 'datasets', second.id);
    expect((await readdir(stored)).sort()).toEqual([
      'dataset.json',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
    ]);
    expect(Buffer.compare(await readFile(join(stored, 'train-images-idx3-ubyte')), makeIdxImages(40))).toBe(0);

    const [a, b] = await Promise.all([store.load(second.id), store.load(second.id)]);
    expect(a).toBe(b);
    expect([a.id, a.train.count, a.test.count]).toEqual([second.id, 40, 20]);
    expect([...a.train.labels.subarray(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(await store.load(second.id)).toBe(a);

    await store.remove(second.id);
    expect(await rejection(store.get(second.id))).toBeInstanceOf(NotFoundError);
    expect(await rejection(store.load(second.id))).toMatchObject({ code: 'DATASET_NOT_FOUND' });
    expect(await rejection(store.remove(second.id))).toMatchObject({ code: 'DATASET_NOT_FOUND' });
    expect(await readdir(join(dir, 'datasets'))).toEqual([first.id]);
    expect((await store.list()).map((d) => d.id)).toEqual(['mnist-sample', 'fashion-mnist', 'mnist', first.id]);
  });

  it('lists the built-ins with their availability', async () => {
    const { store } = await newStore();
    const [sample, fashion, mnist] = await store.list();
    expect(sample).toMatchObject({ id: 'mnist-sample', builtin: true, available: true, createdAt: null });
    expect(fashion).toMatchObject({ id: 'fashion-mnist', available: false });
    expect(fashion?.note).toContain('dataset-fashion-mnist');
    expect(mnist).toMatchObject({
      id: 'mnist',
      available: true,
      note: 'downloaded from http://127.0.0.1:9/ on first use',
    });
  });

  it('leaves nothing on disk for a bad upload', async () => {
    const { store, dir } = await newStore();
    const bad = { ...upload('bad'), testLabels: makeIdxLabels([0, 1, 2, 3, 4, 5, 6, 7, 8, 100]) };
    const err = await rejection(store.create(bad));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe('testLabels: label 100 at index 9 is outside 0–99 (MAX_CLASSES is 100)');
    const mismatch = { ...upload('bad'), trainLabels: makeIdxLabels([1, 2, 3]) };
    expect((await rejection(store.create(mismatch))).message).toBe('train: 30 images but 3 labels');
    // No dataset folder and no staging file left.
    expect(await readdir(join(dir, 'datasets'))).toEqual([]);
    expect(await readdir(join(dir, '.staging'))).toEqual([]);
    expect((await store.list()).length).toBe(3);
  });

  it('refuses a gzipped upload that would inflate beyond maxUploadBytes', async () => {
    const { store, dir } = await newStore(64 * 1024);
    const big = { ...upload('big'), trainImages: gzipSync(makeIdxImages(100)) };
    const err = await rejection(store.create(big));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe(
      'trainImages: header declares 100 images (78,416 bytes uncompressed), more than the limit of 65,536 bytes (MAX_DATASET_BYTES)',
    );
    expect(await readdir(join(dir, 'datasets')).catch(() => [])).toEqual([]);
    expect(await readdir(join(dir, '.staging'))).toEqual([]);
  });

  it('refuses to delete a built-in', async () => {
    const { store } = await newStore();
    const err = await rejection(store.remove('mnist-sample'));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ code: 'DATASET_BUILTIN', statusCode: 409 });
    expect(err.message).toBe('built-in datasets cannot be deleted');
  });

  it('treats ids that are not upload ids as unknown without touching the filesystem', async () => {
    const { store } = await newStore();
    for (const id of ['../etc', 'ds_0123456789abcdef/../x', 'ds_0123456789abcdef\0', 'ds_../../../../etc', '']) {
      const err = await rejection(store.get(id));
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ code: 'DATASET_NOT_FOUND', statusCode: 404 });
      expect(err.message).toBe(`dataset ${JSON.stringify(id)} not found`);
      expect(await rejection(store.remove(id))).toBeInstanceOf(NotFoundError);
      expect(await rejection(store.load(id))).toBeInstanceOf(NotFoundError);
    }
    expect((await rejection(store.get('../etc'))).message).toBe('dataset "../etc" not found');
    expect(await rejection(store.get('ds_0123456789abcdef'))).toBeInstanceOf(NotFoundError);
  });

  it('skips temp dirs and unreadable entries when listing', async () => {
    const { store, dir } = await newStore();
    const good = await store.create(upload('good'));
    const datasets = join(dir, 'datasets');
    // A create interrupted before its rename, and a directory with a broken dataset.json.
    await mkdir(join(datasets, '.tmp-abc123'));
    await writeFile(join(datasets, '.tmp-abc123', 'dataset.json'), JSON.stringify({ ...good, id: '.tmp-abc123' }));
    await mkdir(join(datasets, 'ds_00000000000000ff'));
    await writeFile(join(datasets, 'ds_00000000000000ff', 'dataset.json'), '{ not json');
    await writeFile(join(datasets, 'stray-file'), 'x');
    expect((await store.list()).map((d) => d.id)).toEqual(['mnist-sample', 'fashion-mnist', 'mnist', good.id]);
    expect(await rejection(store.get('ds_00000000000000ff'))).toBeInstanceOf(NotFoundError);
  });

  it('does not cache a failed load', async () => {
    const { store, fashionMnistDir } = await newStore();
    expect(await rejection(store.load('fashion-mnist'))).toMatchObject({ code: 'DATASET_UNAVAILABLE' });
    const files = makeIdxFiles(12, 10);
    await writeFile(join(fashionMnistDir, 'train-images-idx3-ubyte'), files.trainImages);
    await writeFile(join(fashionMnistDir, 'train-labels-idx1-ubyte'), files.trainLabels);
    await writeFile(join(fashionMnistDir, 't10k-images-idx3-ubyte'), files.testImages);
    await writeFile(join(fashionMnistDir, 't10k-labels-idx1-ubyte'), files.testLabels);
    const ds = await store.load('fashion-mnist');
    expect([ds.train.count, ds.test.count, ds.labels[0]]).toEqual([12, 10, 'T-shirt/top']);
    expect((await store.get('fashion-mnist')).available).toBe(true);
  });

  it('loads the default dataset through the store', async () => {
    const { store } = await newStore();
    const ds = await store.load('mnist-sample');
    expect([ds.train.count, ds.test.count]).toEqual([8000, 2000]);
  });

  it('reports an unreachable MNIST mirror as unavailable', async () => {
    const { store } = await newStore();
    const err = await rejection(store.load('mnist'));
    expect(err).toMatchObject({ code: 'DATASET_DOWNLOAD_FAILED', statusCode: 503 });
    expect(err.message).toContain('http://127.0.0.1:9/');
  });

  it('records the owner and the stored bytes in dataset.json, shows neither, and counts them per owner', async () => {
    const { store, dir } = await newStore(1024 * 1024, {
      uploadLimits: { datasetsPerOwner: 2, bytesPerOwner: 3 * (16 + 30 * 784 + 8 + 30 + 16 + 10 * 784 + 8 + 10) },
    });
    const first = await store.create(upload('one'));
    expect(Object.keys(first)).not.toContain('owner');
    expect(Object.keys(await store.get(first.id))).not.toContain('owner');
    expect(JSON.stringify(await store.list())).not.toContain('key:test');
    const marker = JSON.parse(await readFile(join(dir, 'datasets', first.id, 'dataset.json'), 'utf8'));
    expect(marker).toMatchObject({
      id: first.id,
      owner: 'key:test',
      bytes: 16 + 30 * 784 + 8 + 30 + 16 + 10 * 784 + 8 + 10,
    });

    await store.create(upload('two'));
    // A store started afresh (another replica) reads the two from storage.
    const other = createDatasetStore({
      storage: createFsStorage({ dir }),
      dir,
      fashionMnistDir: dir,
      mnistDir: '',
      mnistBaseUrl: 'http://127.0.0.1:9/',
      maxUploadBytes: 1024 * 1024,
      uploadLimits: { datasetsPerOwner: 2 },
    });
    expect(await rejection(other.create(upload('three')))).toMatchObject({
      statusCode: 429,
      code: 'DATASET_QUOTA_EXCEEDED',
      message: 'you have 2 datasets stored; at most 2 (MAX_DATASETS_PER_KEY); delete one to upload another',
    });
    // Another owner is not counted against this one.
    expect(await other.create({ ...upload('theirs'), owner: 'ip:10.0.0.1' })).toMatchObject({ name: 'theirs' });
    await store.remove(first.id);
    const big = { ...upload('big', 100, 10), owner: 'key:test' };
    expect(await rejection(store.create(big))).toMatchObject({
      statusCode: 413,
      code: 'DATASET_STORAGE_QUOTA_EXCEEDED',
    });
    expect(
      (await store.list())
        .filter((d) => !d.builtin)
        .map((d) => d.name)
        .sort(),
    ).toEqual(['theirs', 'two']);
    expect(await readdir(join(dir, '.staging'))).toEqual([]);
  });

  it('refuses a dataset over MAX_DATASET_IMAGES from the headers, train and test together', async () => {
    const { store, dir } = await newStore(1024 * 1024, { maxImages: 35 });
    const err = await rejection(store.create(upload('too many', 30, 10)));
    expect(err).toMatchObject({
      statusCode: 413,
      code: 'TOO_MANY_IMAGES',
      message: 'testImages: the dataset would hold 40 images (train + test); at most 35 (MAX_DATASET_IMAGES)',
    });
    expect(await readdir(join(dir, 'datasets'))).toEqual([]);
    expect(await store.create(upload('just right', 25, 10))).toMatchObject({ trainSize: 25, testSize: 10 });
  });

  it('sweeps uploads that never wrote their marker once they are older than the grace period', async () => {
    const { store, dir } = await newStore();
    const kept = await store.create(upload('kept'));
    const hourAgo = Date.now() - 2 * 3600_000;
    const dead = newUploadId(hourAgo);
    const running = newUploadId();
    const legacy = 'ds_00000000000000ff'; // an id from before ids carried their time: left alone
    for (const id of [dead, running, legacy]) {
      await mkdir(join(dir, 'datasets', id), { recursive: true });
      await writeFile(join(dir, 'datasets', id, 'train-images-idx3-ubyte'), makeIdxImages(2));
    }
    expect(await store.sweep(3600_000)).toBe(1);
    expect((await readdir(join(dir, 'datasets'))).sort()).toEqual([kept.id, legacy, running].sort());
    expect(await store.sweep(3600_000)).toBe(0);
    expect((await store.get(kept.id)).name).toBe('kept');
  });

  it('sweeps staging files over an hour old, and only those', async () => {
    const dir = await tempDir();
    const old = `${(Date.now() - 2 * 3600_000).toString(36)}-aaaaaaaaaaaa`;
    const fresh = `${Date.now().toString(36)}-bbbbbbbbbbbb`;
    await writeFile(join(dir, old), 'x');
    await writeFile(join(dir, fresh), 'x');
    expect(await sweepStaging(dir)).toBe(1);
    expect(await readdir(dir)).toEqual([fresh]);
    expect(await sweepStaging(join(dir, 'missing'))).toBe(0);
  });
});
