import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDatasetStore } from '../../src/datasets/store.js';
import { runImport, type ImportSettings } from '../../src/importer/run-import.js';
import type { DatasetStore, ImportField } from '../../src/datasets/types.js';
import { createFsStorage } from '../../src/storage/fs.js';
import type { ObjectStorage } from '../../src/storage/types.js';
import { classFolders, classPng, makeCsv, makeTar, makeZip, makeManyEntryZip } from '../helpers/archives.js';

let dir: string;
let storage: ObjectStorage;
let store: DatasetStore;
const settings = (over: Partial<ImportSettings> = {}): ImportSettings => ({
  maxEntries: 80_000,
  maxUnpackedBytes: 1024 ** 3,
  maxImages: 250_000,
  maxClasses: 100,
  maxPixels: 4096 * 4096,
  maxDecodeBytes: 64 * 1024 * 1024,
  maxSeconds: 120,
  bytesPerOwner: 1024 ** 3,
  stagingDir: join(dir, '.staging'),
  ...over,
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainyard-import-'));
  storage = createFsStorage({ dir });
  store = createDatasetStore({
    storage,
    dir,
    fashionMnistDir: join(dir, 'none'),
    mnistDir: join(dir, 'none'),
    mnistBaseUrl: 'http://127.0.0.1:9/',
    maxUploadBytes: 256 * 1024 * 1024,
  });
});

/** Stages an upload through the store as the API does, then runs the import job's body on it. */
async function importOf(
  files: Partial<Record<ImportField, Buffer>>,
  over: Partial<ImportSettings> = {},
  testSplit = 0.2,
) {
  const session = await store.beginImport('key:test');
  for (const [field, data] of Object.entries(files))
    await session.addSource(field as ImportField, Readable.from([data]));
  const { id } = await session.commit('t', { preprocess: 'mnist', testSplit, seed: 7 });
  await session.abort();
  const outcome = await runImport(id, {
    storage,
    settings: settings(over),
    storedByOwner: (owner, except) => store.storedBy(owner, except),
    onProgress: () => {},
  });
  return { outcome, info: await store.get(id), id };
}

const failure = async (files: Partial<Record<ImportField, Buffer>>, over: Partial<ImportSettings> = {}) => {
  const { outcome, info, id } = await importOf(files, over);
  expect(outcome).toBe('failed');
  expect(info.state).toBe('failed');
  expect(info.available).toBe(false);
  expect(info.note).toBe(`the import failed: ${info.import!.error!}`);
  // Nothing but the record is left of a failed import.
  expect(await storage.list(`datasets/${id}/`)).toEqual([`datasets/${id}/import.json`]);
  return info.import!.error!;
};

describe('importing class folders', () => {
  it('imports a ZIP of root class folders with a stratified split from the seed, classes by code point', async () => {
    const zip = await makeZip(classFolders(['b', 'a', 'Z'], 10));
    const { outcome, info, id } = await importOf({ archive: zip });
    expect(outcome).toBe('ready');
    expect(info).toMatchObject({ state: 'ready', available: true, classes: 3, labels: ['Z', 'a', 'b'] });
    expect(info.trainSize + info.testSize).toBe(30);
    expect(info.import!.report!.classes).toEqual([
      { label: 'Z', train: 8, test: 2 },
      { label: 'a', train: 8, test: 2 },
      { label: 'b', train: 8, test: 2 },
    ]);
    expect(info.import).toMatchObject({ format: 'zip', seed: 7, testSplit: 0.2, preprocess: 'mnist' });
    const loaded = await store.load(id);
    expect(loaded.train.count).toBe(24);
    expect([...loaded.test.labels]).toEqual([0, 0, 1, 1, 2, 2]);
    // Staged files are gone; the preview is a real PNG with one row per class.
    expect(await storage.list(`datasets/${id}/source/`)).toEqual([]);
    const meta = await sharp((await store.preview(id))!).metadata();
    expect([meta.format, meta.height]).toEqual(['png', 3 * 30 + 2]);
  });

  it('takes class folders under one top-level folder whose own entries the archive lists, as zip -r writes them', async () => {
    const dirs = ['shapes/', 'shapes/bar/', 'shapes/dot/'].map((path) => ({ path, type: 'directory' as const }));
    const zip = await makeZip([...dirs, ...classFolders(['bar', 'dot'], 5, 'shapes/')]);
    const { outcome, info } = await importOf({ archive: zip });
    expect(outcome).toBe('ready');
    expect(info).toMatchObject({ classes: 2, labels: ['bar', 'dot'] });
    expect(info.trainSize + info.testSize).toBe(10);
  });

  it('imports a tar.gz of train/ and test/ under one top-level folder, reporting skipped files', async () => {
    const files = [
      ...classFolders(['cat', 'dog'], 4, 'pets/train/'),
      ...classFolders(['cat', 'dog'], 2, 'pets/test/'),
      { path: 'pets/train/cat/notes.txt', data: Buffer.from('hello') },
      { path: 'pets/train/dog/broken.png', data: classPng(0).subarray(0, 60) },
      { path: 'pets/train/dog/inner.zip', data: await makeZip([{ path: 'x.png', data: classPng(0) }]) },
      { path: 'pets/train/dog/fake.png', data: await makeZip([{ path: 'x.png', data: classPng(0) }]) },
      { path: 'pets/train/cat/pic.tiff', data: Buffer.from('II*\0') },
      { path: 'pets/readme.png', data: classPng(1) },
    ];
    const { outcome, info } = await importOf({ archive: await makeTar(files, true) });
    expect(outcome).toBe('ready');
    expect(info.labels).toEqual(['cat', 'dog']);
    expect(info.import!.format).toBe('tar.gz');
    expect(info.import!.report!.classes).toEqual([
      { label: 'cat', train: 4, test: 2 },
      { label: 'dog', train: 4, test: 2 },
    ]);
    const reasons = Object.fromEntries(info.import!.report!.skipped.map((s) => [s.file, s.reason.split(' ')[0]]));
    expect(reasons).toEqual({
      'pets/train/cat/notes.txt': 'not',
      'pets/train/dog/broken.png': 'corrupt:',
      'pets/train/dog/inner.zip': 'nested',
      'pets/train/dog/fake.png': 'nested',
      'pets/train/cat/pic.tiff': 'unsupported',
      'pets/readme.png': 'outside',
    });
    expect(info.import!.progress).toEqual({ filesRead: 18, imagesKept: 12, imagesSkipped: 6 });
  });

  it('imports CSV files with string labels', async () => {
    const labels = ['circle', 'square', 'triangle'];
    const { outcome, info } = await importOf({
      trainCsv: makeCsv(30, (i) => labels[i % 3]!),
      testCsv: makeCsv(6, (i) => labels[i % 3]!),
    });
    expect(outcome).toBe('ready');
    expect(info).toMatchObject({ classes: 3, labels, trainSize: 30, testSize: 6 });
    expect(info.import!.format).toBe('csv');
  });

  it('skips a duplicate name, keeping the first', async () => {
    const files = [...classFolders(['a', 'b'], 3), { path: 'a/0.png', data: classPng(1) }];
    const { outcome, info } = await importOf({ archive: await makeTar(files) });
    expect(outcome).toBe('ready');
    expect(info.import!.report!.skipped).toEqual([
      { file: 'a/0.png', reason: 'duplicate name (the first entry of that name is kept)' },
    ]);
  });
});

describe('hostile and malformed uploads fail the import with the reason', () => {
  it.each([
    ['../evil.png', /zip slip/],
    ['/etc/evil.png', /zip slip/],
  ])('refuses a ZIP entry named %s', async (path, reason) => {
    // yazl refuses such names itself; the name is patched into the archive's bytes.
    const zip = await makeZip([
      ...classFolders(['a', 'b'], 2),
      { path: path.replace(/[./]/g, 'x'), data: classPng(0) },
    ]);
    const patched = Buffer.from(zip.toString('latin1').split(path.replace(/[./]/g, 'x')).join(path), 'latin1');
    expect(await failure({ archive: patched })).toMatch(reason);
    expect(await readdir(dir)).not.toContain('evil.png');
  });

  it.each(['symlink', 'link'] as const)('refuses a %s in a tar', async (type) => {
    const tar = await makeTar([...classFolders(['a', 'b'], 2), { path: 'a/x.png', type, target: '/etc/passwd' }]);
    expect(await failure({ archive: tar })).toMatch(/is a symbolic or hard link/);
  });

  it('refuses a symlink in a ZIP', async () => {
    const zip = await makeZip([
      ...classFolders(['a', 'b'], 2),
      { path: 'a/x.png', type: 'symlink', target: '/etc/passwd' },
    ]);
    expect(await failure({ archive: zip })).toMatch(/"a\/x.png" is a symbolic or hard link/);
  });

  it('refuses a ZIP whose directory understates what an entry inflates to', async () => {
    const zip = await makeZip([...classFolders(['a', 'b'], 2), { path: 'a/big.png', data: Buffer.alloc(100_000) }], {
      compress: true,
    });
    // The central directory's record of the last entry: its uncompressed size (offset 24) made 1,000.
    const at = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(1000, at + 24);
    expect(await failure({ archive: zip })).toMatch(/a\/big.png: .*expected 1000/);
  });

  it('refuses a ZIP bomb by ratio', async () => {
    const zip = await makeZip(
      [...classFolders(['a', 'b'], 2), { path: 'a/bomb.png', data: Buffer.alloc(8 * 1024 * 1024) }],
      {
        compress: true,
      },
    );
    expect(await failure({ archive: zip })).toMatch(/ratio over 100:1 \(a ZIP bomb\)/);
  });

  it('refuses a ZIP bomb by total unpacked size', async () => {
    const files = Array.from({ length: 20 }, (_, i) => ({ path: `a/${i}.png`, data: Buffer.alloc(200_000, i) }));
    expect(await failure({ archive: await makeZip(files) }, { maxUnpackedBytes: 1_000_000 })).toMatch(
      /unpacks to more than 1,000,000 bytes \(MAX_IMPORT_UNPACKED_BYTES\)/,
    );
  });

  it('refuses a gzip bomb by total unpacked size', async () => {
    const tar = await makeTar([{ path: 'a/0.png', data: Buffer.alloc(4_000_000) }], true);
    expect(await failure({ archive: tar }, { maxUnpackedBytes: 1_000_000 })).toMatch(/gzip bomb or too much data/);
  });

  it('refuses 100,000 tiny files by the entry count, from the ZIP directory', async () => {
    expect(await failure({ archive: makeManyEntryZip(100_000) })).toMatch(
      /holds 100,000 entries; at most 80,000 \(MAX_IMPORT_FILES\)/,
    );
  });

  it("counts a tar's entries as they come, past MAX_IMPORT_FILES", async () => {
    const tar = await makeTar(classFolders(['a', 'b'], 60));
    expect(await failure({ archive: tar }, { maxEntries: 100 })).toMatch(/more than 100 entries \(MAX_IMPORT_FILES\)/);
  });

  it('stops an import past MAX_IMPORT_SECONDS', async () => {
    const zip = await makeZip(classFolders(['a', 'b'], 3));
    expect(await failure({ archive: zip }, { maxSeconds: 0 })).toMatch(/ran over 0 s \(MAX_IMPORT_SECONDS\)/);
  });

  it('refuses class folders differing only in case', async () => {
    expect(await failure({ archive: await makeZip(classFolders(['Cat', 'cat', 'dog'], 2)) })).toMatch(
      /"Cat" and "cat" differ only in case/,
    );
  });

  it('refuses an empty class folder', async () => {
    const zip = await makeZip([...classFolders(['a', 'b'], 2), { path: 'c/', type: 'directory' }]);
    expect(await failure({ archive: zip })).toMatch(/class "c" holds no usable image/);
  });

  it('refuses a single class', async () => {
    expect(await failure({ archive: await makeZip(classFolders(['only'], 5)) })).toMatch(/one class \("only"\)/);
  });

  it('refuses more classes than MAX_CLASSES', async () => {
    const zip = await makeZip(classFolders(['a', 'b', 'c', 'd'], 2));
    expect(await failure({ archive: zip }, { maxClasses: 3 })).toMatch(/found 4 classes; at most 3 \(MAX_CLASSES\)/);
  });

  it('refuses a file that is no archive', async () => {
    const gz = (await import('node:zlib')).gzipSync(Buffer.from('just text, no tar in here'));
    expect(await failure({ archive: gz })).toMatch(/not a readable tar archive/);
  });

  it.each([
    [
      'a row of the wrong length',
      (csv: string) => csv.replace(/\n(\S+?),0,/, '\n$1,'),
      /row 2 has 784 values; the header has 785/,
    ],
    [
      'a non-numeric pixel',
      (csv: string) => csv.replace(/\n(\S+?),0,/, '\n$1,abc,'),
      /row 2, column 2: "abc" is not a pixel value/,
    ],
    [
      'an out-of-range pixel',
      (csv: string) => csv.replace(/\n(\S+?),0,/, '\n$1,256,'),
      /row 2, column 2: "256" is not a pixel value/,
    ],
    ['a missing label column', (csv: string) => csv.replace(/^label,/, 'kind,'), /header row has no "label" column/],
  ])('refuses a CSV with %s', async (_what, edit, reason) => {
    const csv = Buffer.from(edit(makeCsv(6, (i) => String(i % 2)).toString()));
    expect(await failure({ trainCsv: csv })).toMatch(reason);
  });
});

describe('quotas and deletes', () => {
  it('counts the unpacked size against MAX_DATASET_STORAGE_PER_KEY', async () => {
    // 40 images unpack to 40 × 785 bytes and headers, more than this quota, though the ZIP is smaller.
    const reason = await failure({ archive: await makeZip(classFolders(['a', 'b'], 20)) }, { bytesPerOwner: 20_000 });
    expect(reason).toMatch(
      /unpacks to 31,448 bytes; with the 0 bytes stored that is more than 20,000 \(MAX_DATASET_STORAGE_PER_KEY\)/,
    );
  });

  it('records the unpacked size of a ready dataset for the quota', async () => {
    const { id } = await importOf({ archive: await makeZip(classFolders(['a', 'b'], 20)) });
    expect(await store.storedBy('key:test')).toBe(31_448);
    expect(await store.storedBy('key:test', id)).toBe(0);
  });

  it('stops an import whose dataset was deleted, leaving nothing', async () => {
    const session = await store.beginImport('key:test');
    await session.addSource('archive', Readable.from([await makeZip(classFolders(['a', 'b'], 5))]));
    const { id } = await session.commit('t', { preprocess: 'mnist', testSplit: 0.2, seed: 1 });
    await store.remove(id);
    const outcome = await runImport(id, {
      storage,
      settings: settings(),
      storedByOwner: () => Promise.resolve(0),
      onProgress: () => {},
    });
    expect(outcome).toBe('gone');
    expect(await storage.list(`datasets/${id}/`)).toEqual([]);
    await expect(store.get(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });

  it('refuses to load a dataset still importing, and one whose import failed', async () => {
    const session = await store.beginImport('key:test');
    await session.addSource('archive', Readable.from([await makeZip(classFolders(['only'], 3))]));
    const { id } = await session.commit('t', { preprocess: 'mnist', testSplit: 0.2, seed: 1 });
    await expect(store.load(id)).rejects.toMatchObject({ code: 'DATASET_IMPORTING' });
    await runImport(id, {
      storage,
      settings: settings(),
      storedByOwner: () => Promise.resolve(0),
      onProgress: () => {},
    });
    await expect(store.load(id)).rejects.toMatchObject({ code: 'DATASET_IMPORT_FAILED' });
  });
});
