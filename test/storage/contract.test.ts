import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsStorage } from '../../src/storage/fs.js';
import type { ObjectStorage } from '../../src/storage/types.js';
import { startS3, type TestS3 } from '../helpers/s3-server.js';

let s3: TestS3;
let dir: string;
beforeAll(async () => {
  s3 = await startS3();
  dir = await mkdtemp(join(tmpdir(), 'trainyard-storage-'));
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

const fresh = `t-${randomBytes(4).toString('hex')}`;
const backends: [string, () => ObjectStorage][] = [
  ['filesystem', () => createFsStorage({ dir: join(dir, fresh) })],
  ['S3', () => s3.storage(`${fresh}/`)],
];

describe.each(backends)('%s storage', (_name, make) => {
  let storage: ObjectStorage;
  beforeAll(() => {
    storage = make();
  });
  const bytes = (...b: number[]) => Buffer.from(b);

  it('puts, gets, replaces and deletes one object', async () => {
    expect(await storage.get('a/one.bin')).toBeUndefined();
    await storage.put('a/one.bin', bytes(1, 2, 3));
    expect(await storage.get('a/one.bin')).toEqual(bytes(1, 2, 3));
    await storage.put('a/one.bin', bytes(4));
    expect(await storage.get('a/one.bin')).toEqual(bytes(4));
    await storage.delete('a/one.bin');
    expect(await storage.get('a/one.bin')).toBeUndefined();
    await storage.delete('a/one.bin'); // already gone: no error
  });

  it('stores empty and large objects byte for byte', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    await storage.put('b/big.bin', big);
    await storage.put('b/empty.bin', Buffer.alloc(0));
    expect(Buffer.compare((await storage.get('b/big.bin'))!, big)).toBe(0);
    expect((await storage.get('b/empty.bin'))!.length).toBe(0);
  });

  it('puts a local file by streaming it, byte for byte, and leaves the file in place', async () => {
    const big = randomBytes(5 * 1024 * 1024 + 3);
    const file = join(dir, `src-${randomBytes(4).toString('hex')}`);
    await writeFile(file, big);
    await storage.put('g/file.bin', bytes(1));
    await storage.putFile('g/file.bin', file); // replaces
    expect(Buffer.compare((await storage.get('g/file.bin'))!, big)).toBe(0);
    expect((await stat(file)).size).toBe(big.length);
    await writeFile(file, Buffer.alloc(0));
    await storage.putFile('g/empty.bin', file);
    expect((await storage.get('g/empty.bin'))!.length).toBe(0);
    expect(await storage.list('g/')).toEqual(['g/empty.bin', 'g/file.bin']);
    await rm(file);
  });

  it('fails putFile for a missing file and writes nothing', async () => {
    const missing = join(dir, `missing-${randomBytes(4).toString('hex')}`);
    await expect(storage.putFile('h/none.bin', missing)).rejects.toThrow();
    expect(await storage.get('h/none.bin')).toBeUndefined();
    expect(await storage.list('h/')).toEqual([]);
    await expect(storage.putFile('../x', missing)).rejects.toThrow('invalid storage key');
  });

  it('streams an object with its size, and answers undefined for a missing one', async () => {
    const big = randomBytes(5 * 1024 * 1024 + 3);
    await storage.put('s/big.bin', big);
    await storage.put('s/empty.bin', Buffer.alloc(0));
    const opened = (await storage.getStream('s/big.bin'))!;
    expect(opened.size).toBe(big.length);
    expect(Buffer.compare(await buffer(opened.body), big)).toBe(0);
    const empty = (await storage.getStream('s/empty.bin'))!;
    expect(empty.size).toBe(0);
    expect((await buffer(empty.body)).length).toBe(0);
    expect(await storage.getStream('s/missing.bin')).toBeUndefined();
    expect(await storage.getStream('missing-dir/x.bin')).toBeUndefined();
    // A prefix is not an object.
    expect(await storage.getStream('s')).toBeUndefined();
  });

  it('lets a reader stop a stream part-way', async () => {
    await storage.put('s/stop.bin', randomBytes(4 * 1024 * 1024));
    const { body } = (await storage.getStream('s/stop.bin'))!;
    const first = await new Promise<Buffer>((resolve) => body.once('data', resolve));
    expect(first.length).toBeGreaterThan(0);
    await destroyed(body);
    // The object is still there, whole.
    expect((await storage.get('s/stop.bin'))!.length).toBe(4 * 1024 * 1024);
  });

  it('lists every key under a prefix at any depth, sorted, and nothing else', async () => {
    await storage.put('c/x/2.bin', bytes(2));
    await storage.put('c/x/1.bin', bytes(1));
    await storage.put('c/y/deep/3.bin', bytes(3));
    await storage.put('c2/other.bin', bytes(9));
    expect(await storage.list('c/')).toEqual(['c/x/1.bin', 'c/x/2.bin', 'c/y/deep/3.bin']);
    expect(await storage.list('c/x/')).toEqual(['c/x/1.bin', 'c/x/2.bin']);
    expect(await storage.list('nothing-here/')).toEqual([]);
  });

  it('deletes a prefix and only that prefix', async () => {
    await storage.put('d/m1/a.bin', bytes(1));
    await storage.put('d/m1/r/b.bin', bytes(2));
    await storage.put('d/m10/a.bin', bytes(3));
    await storage.deletePrefix('d/m1/');
    expect(await storage.list('d/')).toEqual(['d/m10/a.bin']);
    await storage.deletePrefix('d/missing/'); // nothing there: no error
  });

  it('writes with putIfAbsent only when the key is free', async () => {
    expect(await storage.putIfAbsent('e/marker.json', bytes(1))).toBe(true);
    expect(await storage.putIfAbsent('e/marker.json', bytes(2))).toBe(false);
    expect(await storage.get('e/marker.json')).toEqual(bytes(1));
  });

  it('lets exactly one of many concurrent putIfAbsent calls win', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => storage.putIfAbsent('f/marker.json', Buffer.alloc(1000, i))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await storage.get('f/marker.json')).toEqual(Buffer.alloc(1000, winner));
  });

  it('passes its readiness check', async () => {
    await expect(storage.check(1000)).resolves.toBeUndefined();
  });

  it('refuses keys that could leave its directory or prefix', async () => {
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', '.hidden', 'a/.tmp-1', '', 'a\\b', 'a/b\u0000']) {
      await expect(storage.put(key, bytes(1)), key).rejects.toThrow('invalid storage key');
      await expect(storage.get(key), key).rejects.toThrow('invalid storage key');
      await expect(storage.getStream(key), key).rejects.toThrow('invalid storage key');
    }
    await expect(storage.list('no-slash')).rejects.toThrow('invalid storage prefix');
    await expect(storage.deletePrefix('../')).rejects.toThrow('invalid storage prefix');
  });
});

/** Destroys a stream and resolves once it has closed (its file or connection released). */
function destroyed(body: Readable): Promise<void> {
  return new Promise((resolve) => {
    body.once('close', () => resolve());
    body.destroy();
  });
}

/** Open file descriptors of this process (Linux). */
const openFds = async () => (await readdir('/proc/self/fd')).length;

describe('filesystem storage on disk', () => {
  it('closes the file of a stream read to its end or destroyed', async () => {
    const storage = createFsStorage({ dir: join(dir, fresh) });
    await storage.put('fd/a.bin', randomBytes(2 * 1024 * 1024));
    const before = await openFds();
    const streams = await Promise.all(Array.from({ length: 20 }, () => storage.getStream('fd/a.bin')));
    expect(await openFds()).toBeGreaterThanOrEqual(before + 20);
    await Promise.all(
      streams.slice(0, 10).map(async (s) => expect((await buffer(s!.body)).length).toBe(2 * 1024 * 1024)),
    );
    await Promise.all(streams.slice(10).map((s) => destroyed(s!.body)));
    expect(await openFds()).toBeLessThanOrEqual(before);
  });

  it('streams the bytes it opened even when a put replaces the object meanwhile', async () => {
    const storage = createFsStorage({ dir: join(dir, fresh) });
    const old = randomBytes(3 * 1024 * 1024);
    await storage.put('swap/x.bin', old);
    const opened = (await storage.getStream('swap/x.bin'))!;
    await storage.put('swap/x.bin', Buffer.from('new'));
    expect(opened.size).toBe(old.length);
    expect(Buffer.compare(await buffer(opened.body), old)).toBe(0);
    expect(await storage.get('swap/x.bin')).toEqual(Buffer.from('new'));
  });

  it('names the key and the error code in its failures, never the directory', async () => {
    const file = join(dir, `blocked-${fresh}`);
    await writeFile(file, 'not a directory');
    const storage = createFsStorage({ dir: file });
    const failures = [
      storage.put('models/m/a.bin', Buffer.from('x')),
      storage.putIfAbsent('models/m/metadata.json', Buffer.from('{}')),
      storage.check(1000),
    ];
    for (const failure of failures) {
      const err = (await failure.then(
        () => undefined,
        (e: unknown) => e,
      )) as NodeJS.ErrnoException;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(
        /^storage could not (write "models\/m\/(a\.bin|metadata\.json)"|check its directory): E[A-Z]+$/,
      );
      expect(err.message).not.toContain(dir);
      expect(err.code).toMatch(/^E[A-Z]+$/);
    }
    // Reads of a missing directory are no failure: nothing is stored there.
    expect(await storage.get('models/m/a.bin')).toBeUndefined();
    expect(await storage.getStream('models/m/a.bin')).toBeUndefined();
    expect(await storage.list('models/')).toEqual([]);
  });

  it('fails its readiness check when its directory is a file', async () => {
    const file = join(dir, `file-${fresh}`);
    await writeFile(file, 'not a directory');
    await expect(createFsStorage({ dir: file }).check(1000)).rejects.toMatchObject({ code: 'EEXIST' });
    // The probe file it writes is gone again.
    await expect(createFsStorage({ dir: join(dir, fresh) }).check(1000)).resolves.toBeUndefined();
    expect((await readdir(join(dir, fresh))).filter((f) => f.startsWith('.'))).toEqual([]);
    await expect(createFsStorage({ dir: join(file, 'below') }).check(1000)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('keeps keys as paths under its directory and lists no temporary files', async () => {
    const root = await mkdtemp(join(tmpdir(), 'trainyard-storage-'));
    try {
      const storage = createFsStorage({ dir: root });
      await storage.put('models/m/metadata.json', Buffer.from('{}'));
      expect(await storage.putIfAbsent('models/m/metadata.json', Buffer.from('[]'))).toBe(false);
      const source = join(root, '.source');
      await writeFile(source, 'abc');
      await storage.putFile('models/m/copy.bin', source);
      await expect(storage.putFile('models/m/none.bin', join(root, '.nothing'))).rejects.toMatchObject({
        code: 'ENOENT',
      });
      // No write leaves its temporary file behind.
      expect((await readdir(join(root, 'models', 'm'))).sort()).toEqual(['copy.bin', 'metadata.json']);
      await storage.deletePrefix('models/m/');
      expect(await readdir(join(root, 'models'))).toEqual([]);
      // Deletes leave no empty folders below the top-level one, and keep those still in use.
      await storage.put('models/n/r1/a.bin', Buffer.from('a'));
      await storage.put('models/n/r2/b.bin', Buffer.from('b'));
      await storage.delete('models/n/r1/a.bin');
      expect(await readdir(join(root, 'models', 'n'))).toEqual(['r2']);
      await storage.deletePrefix('models/n/r2/');
      expect(await readdir(join(root, 'models'))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
