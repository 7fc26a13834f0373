import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsStorage } from '../../src/storage/fs.js';
import { createDatasetStore } from '../../src/datasets/store.js';
import { checkClassLabels, parseLabelsField, uploadLabels } from '../../src/datasets/class-labels.js';
import type { DatasetUpload } from '../../src/datasets/types.js';
import { makeIdxFiles, makeIdxLabels } from '../helpers/idx.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function newStore(maxClasses?: number) {
  const dir = await mkdtemp(join(tmpdir(), 'classes-'));
  dirs.push(dir);
  const store = createDatasetStore({
    storage: createFsStorage({ dir }),
    dir,
    fashionMnistDir: join(dir, 'none'),
    mnistDir: '',
    mnistBaseUrl: 'http://127.0.0.1:9/',
    maxUploadBytes: 1024 * 1024,
    ...(maxClasses ? { maxClasses } : {}),
  });
  return { store, dir };
}

const upload = (classes: number, extra: Partial<DatasetUpload> = {}): DatasetUpload => ({
  name: `${classes} classes`,
  owner: 'key:test',
  ...makeIdxFiles(3 * classes, classes, classes),
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; statusCode?: number }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('class names', () => {
  it('reads a JSON array or names separated by commas', () => {
    expect(parseLabelsField('["circle", "square", "star"]', 100)).toEqual(['circle', 'square', 'star']);
    expect(parseLabelsField(' circle, square ,star ', 100)).toEqual(['circle', 'square', 'star']);
    expect(parseLabelsField('["a, b", "c"]', 100)).toEqual(['a, b', 'c']);
  });

  it('refuses what cannot name classes, saying why', () => {
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect((err as { statusCode: number }).statusCode).toBe(400);
        return (err as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(message(() => parseLabelsField('only', 100))).toBe('labels: names 1 class(es); at least 2 are needed');
    expect(message(() => parseLabelsField('a,b,c', 2))).toBe('labels: names 3 classes; at most 2 (MAX_CLASSES)');
    expect(message(() => parseLabelsField('[1, 2]', 100))).toBe('labels: must be a JSON array of strings');
    expect(message(() => parseLabelsField('["a", ', 100))).toMatch(/^labels: is not valid JSON/);
    expect(message(() => parseLabelsField('a,,b', 100))).toBe('labels: name 1 is empty');
    expect(message(() => parseLabelsField('Cat,dog,cat', 100))).toBe(
      'labels: names 0 and 2 ("Cat", "cat") differ only in case or not at all',
    );
    expect(message(() => checkClassLabels(['a', 'b\u0007'], 100))).toBe('labels: name 1 holds a control character');
    expect(message(() => checkClassLabels(['a', 'x'.repeat(65)], 100))).toBe(
      'labels: name 1 is longer than 64 characters',
    );
  });

  it('refuses names that print as nothing or as another name', () => {
    const message = (names: string[]) => {
      try {
        checkClassLabels(names, 100);
      } catch (err) {
        expect((err as { statusCode: number }).statusCode).toBe(400);
        return (err as Error).message;
      }
      throw new Error(`expected ${JSON.stringify(names)} to be refused`);
    };
    // Bidi overrides, zero-width spaces, line separators and lone surrogates: invisible or spoofing.
    for (const [ch, hex] of [
      ['\u202e', '202E'],
      ['\u200b', '200B'],
      ['\u2028', '2028'],
      ['\ud800', 'D800'],
    ] as const) {
      expect(message(['a', `b${ch}c`])).toBe(`labels: name 1 holds an invisible or formatting character (U+${hex})`);
    }
    // The same name composed and decomposed looks alike everywhere it is shown.
    expect(message(['caf\u00e9', 'cafe\u0301'])).toBe(
      'labels: names 0 and 1 ("caf\u00e9", "cafe\u0301") differ only in case or not at all',
    );
    // Joiners are spelling (Persian, emoji sequences) but make no name different from another.
    expect(checkClassLabels(['\u0645\u06cc\u200c\u0634\u0648\u062f', 'cat'], 100)).toHaveLength(2);
    expect(message(['ab', 'a\u200cb'])).toBe(
      'labels: names 0 and 1 ("ab", "a\u200cb") differ only in case or not at all',
    );
    // Emoji sequences joined by ZWJ stay allowed.
    expect(checkClassLabels(['\u{1F469}\u200d\u{1F4BB}', 'cat'], 100)).toEqual(['\u{1F469}\u200d\u{1F4BB}', 'cat']);
  });

  it('names unnamed classes "0"… and refuses names that do not cover every label', () => {
    expect(uploadLabels(undefined, 2)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(uploadLabels(undefined, 11)).toHaveLength(12);
    expect(() => uploadLabels(['a', 'b'], 2)).toThrow(
      'the label files hold label 2, but "labels" names only 2 classes (0–1)',
    );
  });
});

describe('datasets of any number of classes', () => {
  it('stores three named classes with their rule and loads labels 0–2', async () => {
    const { store, dir } = await newStore();
    const info = await store.create(upload(3, { labels: ['circle', 'square', 'star'], preprocess: 'fit' }));
    expect(info).toMatchObject({ classes: 3, labels: ['circle', 'square', 'star'], preprocess: 'fit', trainSize: 9 });
    const marker = JSON.parse(await readFile(join(dir, 'datasets', info.id, 'dataset.json'), 'utf8'));
    expect(marker).toMatchObject({ classes: 3, labels: ['circle', 'square', 'star'], preprocess: 'fit' });
    const loaded = await store.load(info.id);
    expect(loaded.labels).toEqual(['circle', 'square', 'star']);
    expect(loaded.preprocess).toBe('fit');
    expect(Array.from(loaded.train.labels)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(await store.get(info.id)).toEqual(info);
  });

  it('gives a dataset without names ten classes, or as many as its highest label needs', async () => {
    const { store } = await newStore();
    const ten = await store.create(upload(3));
    expect(ten).toMatchObject({ classes: 10, labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(ten.preprocess).toBe('mnist');
    const forty = await store.create(upload(40));
    expect(forty.classes).toBe(40);
    expect(forty.labels.at(-1)).toBe('39');
    expect((await store.load(forty.id)).train.labels[39]).toBe(39);
  });

  it('never gives an unnamed dataset more classes than MAX_CLASSES allows', async () => {
    const { store } = await newStore(5);
    const three = await store.create(upload(3));
    expect(three).toMatchObject({ classes: 5, labels: ['0', '1', '2', '3', '4'] });
    const two = await store.create(upload(2));
    expect(two.classes).toBe(5);
    expect(uploadLabels(undefined, 0, 2)).toEqual(['0', '1']);
  });

  it('refuses labels past MAX_CLASSES while streaming, and names that do not cover the labels', async () => {
    const { store, dir } = await newStore(5);
    const over = await rejection(store.create(upload(6)));
    expect(over).toMatchObject({ code: 'INVALID_IDX', statusCode: 400 });
    expect(over.message).toBe('trainLabels: label 5 at index 5 is outside 0–4 (MAX_CLASSES is 5)');
    const short = await rejection(store.create(upload(4, { labels: ['a', 'b', 'c'] })));
    expect(short).toMatchObject({ code: 'INVALID_LABELS', statusCode: 400 });
    expect(short.message).toBe('the label files hold label 3, but "labels" names only 3 classes (0–2)');
    const many = await rejection(store.create(upload(3, { labels: ['a', 'b', 'c', 'd', 'e', 'f'] })));
    expect(many.message).toBe('labels: names 6 classes; at most 5 (MAX_CLASSES)');
    expect((await store.list()).filter((d) => !d.builtin)).toEqual([]);
    expect(await readdir(join(dir, 'datasets'))).toEqual([]);
  });

  it('reads a dataset stored before classes had names or rules as ten digits with the mnist rule', async () => {
    const { store, dir } = await newStore();
    const info = await store.create(upload(10));
    const path = join(dir, 'datasets', info.id, 'dataset.json');
    const {
      labels: _labels,
      classes: _classes,
      preprocess: _preprocess,
      ...old
    } = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify(old));
    const fresh = (await newStoreOver(dir)).store;
    expect(await fresh.get(info.id)).toMatchObject({
      classes: 10,
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      preprocess: 'mnist',
    });
    const loaded = await fresh.load(info.id);
    expect(loaded.preprocess).toBe('mnist');
    expect(loaded.labels).toHaveLength(10);
  });

  it('refuses a stored dataset whose labels exceed its classes when it is loaded', async () => {
    const { store, dir } = await newStore();
    const info = await store.create(upload(3, { labels: ['a', 'b', 'c'] }));
    await writeFile(
      join(dir, 'datasets', info.id, 'train-labels-idx1-ubyte'),
      makeIdxLabels([0, 1, 2, 3, 0, 1, 2, 0, 1]),
    );
    const err = await rejection((await newStoreOver(dir)).store.load(info.id));
    expect(err.message).toBe('trainLabels: label 3 at index 3 is outside 0–2');
  });
});

/** A second store over the same directory: nothing cached from the first. */
async function newStoreOver(dir: string) {
  return {
    store: createDatasetStore({
      storage: createFsStorage({ dir }),
      dir,
      fashionMnistDir: join(dir, 'none'),
      mnistDir: '',
      mnistBaseUrl: 'http://127.0.0.1:9/',
      maxUploadBytes: 1024 * 1024,
    }),
  };
}
