import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { createModelStore, type ModelMetadata, type ModelStore } from '../../src/models/store.js';
import { createFsStorage } from '../../src/storage/fs.js';
import type { ObjectStorage } from '../../src/storage/types.js';
import { initBackend } from '../../src/training/backend.js';
import { withDefaults } from '../../src/training/params.js';
import { startS3, type TestS3 } from '../helpers/s3-server.js';

let dir: string;
let s3: TestS3;
let s3Tests = 0;

beforeAll(async () => {
  await initBackend('wasm');
  s3 = await startS3();
});
afterAll(() => s3?.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainyard-models-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Each test gets empty storage: a fresh directory, or a fresh prefix of the S3 bucket. */
const backends: [string, () => ObjectStorage][] = [
  ['the filesystem', () => createFsStorage({ dir })],
  ['S3', () => s3.storage(`models-test-${++s3Tests}/`)],
];

function smallModel(seed: number): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      units: 4,
      inputShape: [784],
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    }),
  );
  model.add(
    tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
  );
  return model;
}

const outputs = (model: tf.LayersModel) => Array.from((model.predict(tf.ones([1, 784])) as tf.Tensor).dataSync());

const meta = (id: string, createdAt = new Date().toISOString()): Omit<ModelMetadata, 'sizeBytes' | 'tenant'> => ({
  id,
  name: `model ${id}`,
  createdAt,
  jobId: id,
  dataset: 'mnist-sample',
  params: withDefaults({ seed: 1 }),
  metrics: { testLoss: 0.3, testAccuracy: 0.9 },
  backend: 'wasm',
  inputShape: [28, 28],
  labels: Array.from({ length: 10 }, (_, i) => String(i)),
  preprocess: 'mnist',
});

describe.each(backends)('model store on %s', (_name, makeStorage) => {
  let storage: ObjectStorage;
  let store: ModelStore;
  beforeEach(() => {
    storage = makeStorage();
    store = createModelStore({ storage });
  });

  it('saves, lists newest first, loads the same weights and deletes', async () => {
    const a = smallModel(1);
    const saved = await store.save(meta('a', '2026-01-01T00:00:00.000Z'), a);
    await store.save(meta('b', '2026-02-01T00:00:00.000Z'), smallModel(2));
    expect(saved.sizeBytes).toBeGreaterThan(784 * 4 * 4);
    expect((await store.list()).map((m) => m.id)).toEqual(['b', 'a']);
    expect(await store.get('a')).toEqual(saved);

    // Another process (an API replica) reads the same model from the same storage.
    const elsewhere = createModelStore({ storage });
    expect((await elsewhere.list()).map((m) => m.id)).toEqual(['b', 'a']);
    expect(outputs(await elsewhere.load('a'))).toEqual(outputs(a));

    const json = JSON.parse((await store.readFile('a', 'model.json')).toString());
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect((await store.readFile('a', 'weights.bin')).length).toBe((784 * 4 + 4 + 4 * 10 + 10) * 4);

    await store.remove('a');
    await expect(store.get('a')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.load('a')).rejects.toBeInstanceOf(NotFoundError);
    expect((await store.list()).map((m) => m.id)).toEqual(['b']);
    expect((await storage.list('models/')).filter((k) => !k.startsWith('models/b/'))).toEqual([]);
  });

  it('reads a model stored before models carried a rule as an mnist one, and keeps a fit rule', async () => {
    await store.save({ ...meta('old'), labels: ['a', 'b', 'c'], preprocess: 'fit' }, smallModel(1));
    expect(await store.get('old')).toMatchObject({ labels: ['a', 'b', 'c'], preprocess: 'fit' });
    const marker = 'models/old/metadata.json';
    const { preprocess: _rule, ...older } = JSON.parse((await storage.get(marker))!.toString());
    await storage.put(marker, Buffer.from(JSON.stringify(older)));
    const elsewhere = createModelStore({ storage });
    expect((await elsewhere.get('old')).preprocess).toBe('mnist');
    expect((await elsewhere.list()).map((m) => m.preprocess)).toEqual(['mnist']);
  });

  it('opens model files as streams of the bytes readFile reads, under an ETag per saved model', async () => {
    await store.save(meta('s1'), smallModel(1));
    await store.save(meta('s2'), smallModel(2));
    const [json, weights] = [await store.fileRef('s1', 'model.json'), await store.fileRef('s1', 'weights.bin')];
    expect(json.etag).toMatch(/^"r[0-9a-z]+-[0-9a-f]{8}"$/);
    // One tag per saved model: the same for both of its files and for every reader, another for another model.
    expect(weights.etag).toBe(json.etag);
    expect((await createModelStore({ storage }).fileRef('s1', 'weights.bin')).etag).toBe(json.etag);
    expect((await store.fileRef('s2', 'weights.bin')).etag).not.toBe(json.etag);
    for (const [ref, file] of [
      [json, 'model.json'],
      [weights, 'weights.bin'],
    ] as const) {
      const { body, size } = await ref.open();
      const bytes = await buffer(body);
      expect(bytes).toEqual(await store.readFile('s1', file));
      expect(size).toBe(bytes.length);
    }
    // A ref taken before a remove opens nothing afterwards.
    await store.remove('s1');
    await expect(weights.open()).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.fileRef('s1', 'weights.bin')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('neither lists nor loads a model whose marker is not written yet', async () => {
    await store.save(meta('whole'), smallModel(1));
    // What a save interrupted before its commit leaves: the files, no metadata.json.
    for (const key of await storage.list('models/whole/')) {
      if (key.endsWith('/metadata.json')) continue;
      await storage.put(key.replace('models/whole/', 'models/half/'), (await storage.get(key))!);
    }
    for (const s of [store, createModelStore({ storage })]) {
      expect((await s.list()).map((m) => m.id)).toEqual(['whole']);
      await expect(s.get('half')).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.load('half')).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.readFile('half', 'weights.bin')).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.fileRef('half', 'weights.bin')).rejects.toBeInstanceOf(NotFoundError);
    }
    // A later save of that id commits normally beside the leftovers.
    await store.save(meta('half'), smallModel(3));
    expect((await store.list()).map((m) => m.id).sort()).toEqual(['half', 'whole']);
  });

  it('sweeps revisions no marker names once they are older than the grace period, and nothing else', async () => {
    await store.save(meta('kept'), smallModel(1));
    const files = await storage.list('models/kept/');
    const committed = files.find((k) => k.endsWith('/weights.bin'))!;
    const weights = (await storage.get(committed))!;
    const hourAgo = `r${(Date.now() - 3_600_000).toString(36)}`;
    const leftovers = [
      `models/kept/${hourAgo}-0000000a/weights.bin`, // a concurrent save that lost, then crashed
      `models/gone/${hourAgo}-0000000b/model.json`, // a save that crashed before its marker
      `models/gone/${hourAgo}-0000000b/weights.bin`,
    ];
    const young = `models/gone/r${Date.now().toString(36)}-0000000c/weights.bin`; // a save in progress
    for (const key of [...leftovers, young]) await storage.put(key, weights);

    expect(await store.sweep(10 * 60_000)).toBe(2);
    expect(await storage.list('models/')).toEqual([...files, young].sort());
    // Nothing is old enough for a longer grace period, and a second sweep finds nothing left.
    await storage.put(leftovers[0]!, weights);
    expect(await store.sweep(2 * 3_600_000)).toBe(0);
    expect(await store.sweep(10 * 60_000)).toBe(1);
    expect(await store.sweep(10 * 60_000)).toBe(0);

    // With no grace at all every revision is old: the committed one stays, as its marker names it.
    expect(await store.sweep(-1)).toBe(1); // the young leftover
    expect(await storage.list('models/')).toEqual(files);
    expect(outputs(await createModelStore({ storage }).load('kept'))).toEqual(outputs(smallModel(1)));
  });

  it('sweeps nothing of a model whose marker cannot be read', async () => {
    await store.save(meta('odd'), smallModel(1));
    const marker = 'models/odd/metadata.json';
    await storage.put(marker, Buffer.from('{ not json'));
    await storage.put(`models/odd/r${(Date.now() - 3_600_000).toString(36)}-0000000d/weights.bin`, Buffer.from('x'));
    const before = await storage.list('models/');
    expect(await store.sweep(-1)).toBe(0);
    expect(await storage.list('models/')).toEqual(before);
  });

  it('keeps the first of two concurrent saves of one id, files and metadata together', async () => {
    const one = smallModel(1);
    const two = smallModel(2);
    const [a, b] = await Promise.all([
      store.save({ ...meta('race'), name: 'one' }, one),
      createModelStore({ storage }).save({ ...meta('race'), name: 'two' }, two),
    ]);
    expect(b).toEqual(a);
    expect((await store.get('race')).name).toBe(a.name);
    expect(outputs(await createModelStore({ storage }).load('race'))).toEqual(outputs(a.name === 'one' ? one : two));
    // The loser's files are gone: the marker and one revision's two files remain.
    expect((await storage.list('models/race/')).length).toBe(3);
  });

  it('keeps a save that overlaps a remove of the same id whole', async () => {
    await store.save(meta('x'), smallModel(1));
    // Holds a call until the test releases it, telling the test when it got there.
    const gate = () => {
      let release!: () => void;
      let arrived!: () => void;
      const reached = new Promise<void>((r) => (arrived = r));
      const released = new Promise<void>((r) => (release = r));
      return { reached, release, wait: () => (arrived(), released) };
    };
    const removing = gate();
    const committing = gate();
    const remover = createModelStore({
      storage: { ...storage, deletePrefix: async (p) => (await removing.wait(), storage.deletePrefix(p)) },
    });
    const saver = createModelStore({
      storage: { ...storage, putIfAbsent: async (k, b) => (await committing.wait(), storage.putIfAbsent(k, b)) },
    });
    const removed = remover.remove('x'); // deletes the marker, then waits before the files
    await removing.reached;
    const second = smallModel(2);
    const saved = saver.save({ ...meta('x'), name: 'second' }, second); // its files written, then waits
    await committing.reached;
    removing.release();
    await removed;
    committing.release();
    expect((await saved).name).toBe('second');
    expect((await store.get('x')).name).toBe('second');
    expect(outputs(await store.load('x'))).toEqual(outputs(second));
  });

  it('keeps the first model when the same id is saved twice (a retried job)', async () => {
    const first = await store.save(meta('same'), smallModel(1));
    const second = await store.save({ ...meta('same'), name: 'other' }, smallModel(2));
    expect(second).toEqual(first);
    expect((await store.get('same')).name).toBe('model same');
  });

  it("lists another process's changes at once", async () => {
    const api = createModelStore({ storage });
    const worker = createModelStore({ storage });
    await worker.save(meta('from-worker'), smallModel(1));
    // The listing reads storage: a job's model is listed as soon as the job completes.
    expect((await api.list()).map((m) => m.id)).toEqual(['from-worker']);
    await api.save(meta('own', '2020-01-01T00:00:00.000Z'), smallModel(2));
    expect((await api.list()).map((m) => m.id)).toEqual(['from-worker', 'own']);
    await worker.remove('from-worker');
    expect((await api.list()).map((m) => m.id)).toEqual(['own']);
  });

  it.each(['../etc', 'a/b', 'x\u0000y', '', 'a'.repeat(65), '.tmp-x'])('treats id %j as not found', async (id) => {
    await expect(store.get(id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.remove(id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.readFile(id, 'model.json')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.fileRef(id, 'model.json')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists nothing before any model exists', async () => {
    expect(await store.list()).toEqual([]);
  });
});

describe('model store on the filesystem, on disk', () => {
  let store: ModelStore;
  beforeEach(() => {
    store = createModelStore({ storage: createFsStorage({ dir }) });
  });

  it('removes the model directory entirely', async () => {
    await store.save(meta('a'), smallModel(1));
    await store.save(meta('b'), smallModel(2));
    await store.remove('a');
    expect(await readdir(join(dir, 'models'))).toEqual(['b']);
  });

  it('reads models stored before revision folders, with their files beside metadata.json', async () => {
    const saved = await store.save(meta('new'), smallModel(1));
    const revision = (await readdir(join(dir, 'models', 'new'))).find((n) => n !== 'metadata.json')!;
    await mkdir(join(dir, 'models', 'old'));
    for (const f of ['model.json', 'weights.bin']) {
      await writeFile(join(dir, 'models', 'old', f), await readFile(join(dir, 'models', 'new', revision, f)));
    }
    await writeFile(join(dir, 'models', 'old', 'metadata.json'), JSON.stringify({ ...saved, id: 'old' }));
    expect(await store.get('old')).toEqual({ ...saved, id: 'old' });
    expect(outputs(await store.load('old'))).toEqual(outputs(await store.load('new')));
    await store.remove('old');
    expect(await readdir(join(dir, 'models'))).toEqual(['new']);
  });

  it('never lists or loads what a crash left in a temporary directory', async () => {
    await store.save(meta('whole'), smallModel(1));
    await mkdir(join(dir, 'models', '.tmp-half-1234'), { recursive: true });
    await writeFile(join(dir, 'models', '.tmp-half-1234', 'model.json'), '{"trunc');
    // And a directory without metadata (not written by the store).
    await mkdir(join(dir, 'models', 'junk'));
    expect((await store.list()).map((m) => m.id)).toEqual(['whole']);
    await expect(store.get('junk')).rejects.toBeInstanceOf(NotFoundError);
  });
});
