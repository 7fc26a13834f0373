import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDatasetStore } from '../../src/datasets/store.js';
import { runImport, type ImportSettings } from '../../src/importer/run-import.js';
import type { DatasetStore, ImportField } from '../../src/datasets/types.js';
import { createFsStorage } from '../../src/storage/fs.js';
import type { ObjectStorage } from '../../src/storage/types.js';
import { classFolders, classPng, makeCsv, makeTar, makeZip } from '../helpers/archives.js';

/** Class names and file names an import takes from the archive: held to the rules of every other dataset. */

let dir: string;
let storage: ObjectStorage;
let store: DatasetStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trainyard-import-review-'));
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

const settings = (): ImportSettings => ({
  maxEntries: 80_000,
  maxUnpackedBytes: 1024 ** 3,
  maxImages: 250_000,
  maxClasses: 100,
  maxPixels: 4096 * 4096,
  maxDecodeBytes: 64 * 1024 * 1024,
  maxSeconds: 120,
  bytesPerOwner: 1024 ** 3,
  stagingDir: join(dir, '.staging'),
});

async function importOf(files: Partial<Record<ImportField, Buffer>>) {
  const session = await store.beginImport('key:test');
  for (const [field, data] of Object.entries(files))
    await session.addSource(field as ImportField, Readable.from([data]));
  const { id } = await session.commit('t', { preprocess: 'mnist', testSplit: 0.2, seed: 7 });
  await session.abort();
  const outcome = await runImport(id, {
    storage,
    settings: settings(),
    storedByOwner: (owner, except) => store.storedBy(owner, except),
    onProgress: () => {},
  });
  return { outcome, info: await store.get(id), id };
}

const failure = async (files: Partial<Record<ImportField, Buffer>>) => {
  const { outcome, info, id } = await importOf(files);
  expect(outcome).toBe('failed');
  expect(info.state).toBe('failed');
  expect(await storage.list(`datasets/${id}/`)).toEqual([`datasets/${id}/import.json`]);
  return info.import!.error!;
};

describe('class names taken from folders and CSV labels', () => {
  it('refuses two folders that are one name composed and decomposed', async () => {
    const zip = await makeZip(classFolders(['caf\u00e9', 'cafe\u0301', 'tea'], 3));
    expect(await failure({ archive: zip })).toMatch(/differ only in case or not at all/);
  });

  it('refuses a folder name with a bidi override', async () => {
    const zip = await makeZip(classFolders(['cat', 'dog\u202egpj.exe'], 3));
    expect(await failure({ archive: zip })).toMatch(/invisible or formatting character \(U\+202E\)/);
  });

  it('refuses a folder name longer than the 64 characters a class name may have', async () => {
    const zip = await makeZip(classFolders(['a'.repeat(70), 'b'], 3));
    expect(await failure({ archive: zip })).toMatch(/must be 1–64 characters/);
  });

  it('refuses a CSV label with a zero-width space', async () => {
    const csv = makeCsv(12, (i) => (i % 2 ? 'yes' : 'ye\u200bs'));
    expect(await failure({ trainCsv: csv })).toMatch(/invisible or formatting character \(U\+200B\)/);
  });

  it('still imports names with joiners, emoji and accents', async () => {
    const { outcome, info } = await importOf({
      archive: await makeZip(classFolders(['\u{1F468}\u200d\u{1F373}', 'caf\u00e9'], 3)),
    });
    expect(outcome).toBe('ready');
    expect(info.labels).toEqual(['caf\u00e9', '\u{1F468}\u200d\u{1F373}']);
  });
});

describe('long entry names', () => {
  const longName = (i: number) => `a/${String(i).padStart(4, '0')}${'x'.repeat(60_000)}.txt`;

  it('lists skipped files by a shortened name, so the report stays small', async () => {
    const files = [
      ...classFolders(['a', 'b'], 3),
      ...Array.from({ length: 20 }, (_, i) => ({ path: longName(i), data: Buffer.from('hi') })),
    ];
    const { outcome, info } = await importOf({ archive: await makeTar(files) });
    expect(outcome).toBe('ready');
    const skipped = info.import!.report!.skipped;
    expect(skipped).toHaveLength(20);
    expect(info.import!.report!.skippedCount).toBe(20);
    for (const s of skipped) {
      expect(s.reason).toBe('not an image');
      expect(s.file.length).toBeLessThanOrEqual(300);
      expect(s.file.startsWith('a/00')).toBe(true);
    }
    // Names stay told apart by their start and their end.
    expect(new Set(skipped.map((s) => s.file)).size).toBe(20);
    expect(JSON.stringify(info).length).toBeLessThan(50_000);
  });

  it('names a refused entry by a shortened name in the reason', async () => {
    const name = `../${'y'.repeat(60_000)}.png`;
    const placeholder = name.replace(/[./]/g, 'z');
    const zip = await makeZip([...classFolders(['a', 'b'], 2), { path: placeholder, data: classPng(0) }]);
    const patched = Buffer.from(zip.toString('latin1').split(placeholder).join(name), 'latin1');
    const reason = await failure({ archive: patched });
    expect(reason).toMatch(/zip slip/);
    expect(reason.length).toBeLessThan(1000);
  });
});

describe('CSV files that csv-parse refuses', () => {
  it('fails the import with the reason for a stray quote (a CSV that is really binary)', async () => {
    const csv = Buffer.concat([makeCsv(6, (i) => (i % 2 ? 'a' : 'b')), Buffer.from(`a,${'1,'.repeat(783)}1"2\n`)]);
    expect(await failure({ trainCsv: csv })).toMatch(/trainCsv: not a readable CSV file: Invalid Opening Quote/);
  });
});

describe('a dataset deleted as its import ends', () => {
  it('stays deleted when the DELETE lands between the last check and the commit marker', async () => {
    const session = await store.beginImport('key:test');
    await session.addSource('archive', Readable.from([await makeZip(classFolders(['a', 'b'], 5))]));
    const { id } = await session.commit('t', { preprocess: 'mnist', testSplit: 0.2, seed: 1 });
    await session.abort();
    // The real storage; a DELETE of the dataset arrives just before the marker is written.
    const racing: ObjectStorage = Object.assign(Object.create(storage) as ObjectStorage, {
      put: async (key: string, data: Buffer) => {
        if (key === `datasets/${id}/dataset.json`) await store.remove(id);
        return storage.put(key, data);
      },
    });
    const outcome = await runImport(id, {
      storage: racing,
      settings: settings(),
      storedByOwner: () => Promise.resolve(0),
      onProgress: () => {},
    });
    expect(outcome).toBe('gone');
    expect(await storage.list(`datasets/${id}/`)).toEqual([]);
    await expect(store.get(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });
});

describe('ZIP faults yauzl reports in its own words', () => {
  /** Sets `flags` in the central directory record of the ZIP's last entry. */
  const withFlags = (zip: Buffer, flags: number) => {
    const out = Buffer.from(zip);
    const at = out.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'));
    out.writeUInt16LE(out.readUInt16LE(at + 8) | flags, at + 8);
    return out;
  };

  it('fails the import with the reason for strong encryption', async () => {
    const zip = withFlags(await makeZip(classFolders(['a', 'b'], 3)), 0x41);
    expect(await failure({ archive: zip })).toMatch(/not a readable ZIP archive: strong encryption is not supported/);
  });

  it('fails the import with the reason for an entry whose data overflows the file', async () => {
    const zip = Buffer.from(await makeZip(classFolders(['a', 'b'], 3), { compress: true }));
    // The last entry's compressed size, in its central directory record, reaches past the end of the file.
    const at = zip.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'));
    zip.writeUInt32LE(zip.readUInt32LE(at + 20) + 100_000, at + 20);
    expect(await failure({ archive: zip })).toMatch(/not a readable ZIP archive: file data overflows file bounds/);
  });
});

describe('hostile tar entries and truncated archives', () => {
  /** A tar with two good classes and one more entry from `header`. */
  const tarWith = async (header: Partial<Header> & Pick<Header, 'name'>, data?: Buffer) => {
    const p = pack();
    const chunks: Buffer[] = [];
    const done = (async () => {
      for await (const c of p) chunks.push(c as Buffer);
    })();
    for (const f of classFolders(['a', 'b'], 3)) p.entry({ name: f.path }, f.data!);
    if (data) p.entry(header, data);
    else p.entry(header);
    p.finalize();
    await done;
    return Buffer.concat(chunks);
  };

  it.each([
    ['a\\..\\..\\evil.png', /".." segment \(zip slip\)/],
    ['C:/evil.png', /absolute path \(zip slip\)/],
    [`a/${'x'.repeat(200)}/../../../evil.png`, /".." segment \(zip slip\)/], // a PAX path
  ])('refuses the tar entry %s', async (name, reason) => {
    expect(await failure({ archive: await tarWith({ name }, classPng(0)) })).toMatch(reason);
  });

  it.each(['fifo', 'character-device', 'block-device'])('skips a %s as not a regular file', async (type) => {
    const { outcome, info } = await importOf({
      archive: await tarWith({ name: 'a/dev.png', type: type as Header['type'] }),
    });
    expect(outcome).toBe('ready');
    expect(info.import!.report!.skipped).toEqual([{ file: 'a/dev.png', reason: 'not a regular file' }]);
  });

  it('fails a ZIP cut short at any point with a reason', async () => {
    const zip = await makeZip(classFolders(['a', 'b'], 3), { compress: true });
    for (let n = 300; n < zip.length; n += 37) {
      const { outcome, info, id } = await importOf({ archive: zip.subarray(0, n) });
      expect(outcome).toBe('failed');
      expect(info.import!.error).toMatch(/^not a readable ZIP archive: /);
      await store.remove(id);
    }
  });

  it('fails a tar.gz cut short at any point with a reason', async () => {
    const tgz = await makeTar(classFolders(['a', 'b'], 3), true);
    for (let n = 10; n < tgz.length; n += 11) {
      const { outcome, info, id } = await importOf({ archive: tgz.subarray(0, n) });
      expect(outcome).toBe('failed');
      expect(info.import!.error).toMatch(/^(not valid gzip|not a readable tar archive): /);
      await store.remove(id);
    }
  });
});

describe('a plain tar cut short', () => {
  it('fails the import with the reason wherever it is cut, inside an entry too', async () => {
    const files = [...classFolders(['a', 'b'], 3), { path: 'a/big.png', data: Buffer.alloc(40_000, 7) }];
    const tar = await makeTar(files);
    for (let n = 301; n < tar.length - 1024; n += 211) {
      const { outcome, info, id } = await importOf({ archive: tar.subarray(0, n) });
      expect(outcome).toBe('failed');
      expect(info.import!.error).toMatch(/^not a readable tar archive: /);
      await store.remove(id);
    }
    // Cut inside the last entry's data: tar-stream's error comes from reading that entry.
    const cut = tar.subarray(0, tar.length - 1024 - 20_000);
    expect(await failure({ archive: cut })).toMatch(/^not a readable tar archive: a\/big.png: Unexpected end of data/);
  });
});
