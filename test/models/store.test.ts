import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { createModelStore, type ModelMetadata, type ModelStore } from '../../src/models/store.js';
import { initBackend } from '../../src/training/backend.js';
import { withDefaults } from '../../src/training/params.js';

let dir: string;
let store: ModelStore;

beforeAll(async () => {
  await initBackend('wasm');
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainyard-models-'));
  store = createModelStore({ dir });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

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

const meta = (id: string, createdAt = new Date().toISOString()): Omit<ModelMetadata, 'sizeBytes'> => ({
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
});

describe('filesystem model store', () => {
  it('saves, lists newest first, loads the same weights and deletes', async () => {
    const a = smallModel(1);
    const saved = await store.save(meta('a', '2026-01-01T00:00:00.000Z'), a);
    await store.save(meta('b', '2026-02-01T00:00:00.000Z'), smallModel(2));
    expect(saved.sizeBytes).toBeGreaterThan(784 * 4 * 4);
    expect((await store.list()).map((m) => m.id)).toEqual(['b', 'a']);
    expect((await store.latest())?.id).toBe('b');
    expect(await store.get('a')).toEqual(saved);

    const loaded = await store.load('a');
    const x = tf.ones([1, 784]);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((a.predict(x) as tf.Tensor).dataSync()),
    );

    const json = JSON.parse((await store.readFile('a', 'model.json')).toString());
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect((await store.readFile('a', 'weights.bin')).length).toBe((784 * 4 + 4 + 4 * 10 + 10) * 4);

    await store.remove('a');
    await expect(store.get('a')).rejects.toBeInstanceOf(NotFoundError);
    expect((await store.list()).map((m) => m.id)).toEqual(['b']);
    expect((await readdir(join(dir, 'models'))).sort()).toEqual(['b']);
  });

  it('never lists or loads a half-written model', async () => {
    await store.save(meta('whole'), smallModel(1));
    // What a crash in the middle of a save leaves behind: a temporary directory.
    await mkdir(join(dir, 'models', '.tmp-half-1234'), { recursive: true });
    await writeFile(join(dir, 'models', '.tmp-half-1234', 'model.json'), '{"trunc');
    // And a directory without metadata (not written by the store).
    await mkdir(join(dir, 'models', 'junk'));
    expect((await store.list()).map((m) => m.id)).toEqual(['whole']);
    await expect(store.get('junk')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('keeps the first model when the same id is saved twice (a retried job)', async () => {
    const first = await store.save(meta('same'), smallModel(1));
    const second = await store.save({ ...meta('same'), name: 'other' }, smallModel(2));
    expect(second).toEqual(first);
    expect((await store.get('same')).name).toBe('model same');
  });

  it.each(['../etc', 'a/b', 'x\u0000y', '', 'a'.repeat(65), '.tmp-x'])('treats id %j as not found', async (id) => {
    await expect(store.get(id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.remove(id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.readFile(id, 'model.json')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists nothing before any model exists', async () => {
    expect(await store.list()).toEqual([]);
    expect(await store.latest()).toBeUndefined();
  });
});
