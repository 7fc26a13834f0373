import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.js';
import { mnistDataset } from '../../src/datasets/mnist.js';
import { makeIdxFiles } from '../helpers/idx.js';

/** A local mirror serving small gzipped IDX files under /mirror/, counting requests. */
const files = makeIdxFiles(20, 10);
const served: Record<string, Buffer> = {
  'train-images-idx3-ubyte.gz': gzipSync(files.trainImages),
  'train-labels-idx1-ubyte.gz': gzipSync(files.trainLabels),
  't10k-images-idx3-ubyte.gz': gzipSync(files.testImages),
  't10k-labels-idx1-ubyte.gz': gzipSync(files.testLabels),
};
const checksums = Object.fromEntries(
  Object.entries(served).map(([name, body]) => [name, createHash('md5').update(body).digest('hex')]),
);
const requests: string[] = [];
const sockets = new Set<import('node:net').Socket>();

let mirror: Server;
let baseUrl: string;
/** A port nothing listens on (bound once, then closed). */
let closedPortUrl: string;
/** Accepts connections and then never answers. */
let silent: Server;
let silentUrl: string;
const dirs: string[] = [];

async function listen(server: Server): Promise<string> {
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  mirror = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = req.url?.startsWith('/mirror/') ? served[req.url.slice('/mirror/'.length)] : undefined;
    if (!body) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  baseUrl = `${await listen(mirror)}/mirror/`;
  silent = createServer(() => undefined);
  silentUrl = `${await listen(silent)}/`;
  const probe = createServer();
  closedPortUrl = `${await listen(probe)}/`;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([mirror, silent].map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mnist-'));
  dirs.push(dir);
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<UnavailableError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the load to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnavailableError);
  expect(err).toMatchObject({ code: 'DATASET_DOWNLOAD_FAILED', statusCode: 503 });
  return err as UnavailableError;
}

describe('mnist', () => {
  it('downloads once, verifies, caches, and reuses the cache', async () => {
    const dataDir = await tempDir();
    const mnist = mnistDataset({ dataDir, mnistDir: '', baseUrl, checksums });
    const before = await mnist.info();
    expect(before).toMatchObject({ id: 'mnist', available: true, trainSize: 60000, testSize: 10000 });
    expect(before.note).toBe(`downloaded from ${baseUrl} on first use`);

    requests.length = 0;
    const ds = await mnist.load();
    expect([ds.train.count, ds.test.count]).toEqual([20, 10]);
    expect(Buffer.compare(ds.train.images, files.trainImages.subarray(16))).toBe(0);
    expect(requests.sort()).toEqual(
      Object.keys(served)
        .map((n) => `/mirror/${n}`)
        .sort(),
    );
    expect((await readdir(join(dataDir, 'cache', 'mnist'))).sort()).toEqual(Object.keys(served).sort());
    const after = await mnist.info();
    expect(after.note).toBeUndefined();
    expect(after).toMatchObject({ trainSize: 20, testSize: 10 });

    // A fresh instance (another process) finds the cache and asks nothing.
    requests.length = 0;
    const again = await mnistDataset({ dataDir, mnistDir: '', baseUrl, checksums }).load();
    expect(again.test.count).toBe(10);
    expect(requests).toEqual([]);
  });

  it('accepts a base URL without the trailing slash', async () => {
    const dataDir = await tempDir();
    const ds = await mnistDataset({ dataDir, mnistDir: '', baseUrl: baseUrl.slice(0, -1), checksums }).load();
    expect(ds.train.count).toBe(20);
  });

  it('refuses a file whose MD5 does not match and stores nothing of it', async () => {
    const dataDir = await tempDir();
    const wrong = { ...checksums, 'train-images-idx3-ubyte.gz': '0'.repeat(32) };
    const err = await failure(mnistDataset({ dataDir, mnistDir: '', baseUrl, checksums: wrong }).load());
    expect(err.message).toContain(`could not download MNIST from ${baseUrl}train-images-idx3-ubyte.gz`);
    expect(err.message).toContain(
      `checksum mismatch (MD5 ${checksums['train-images-idx3-ubyte.gz']}, expected ${'0'.repeat(32)})`,
    );
    expect(err.message).toContain('MNIST_DIR');
    const cached = await readdir(join(dataDir, 'cache', 'mnist')).catch(() => []);
    expect(cached).not.toContain('train-images-idx3-ubyte.gz');
    expect(cached.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('uses the real published checksums by default, so a foreign file is refused', async () => {
    const err = await failure(mnistDataset({ dataDir: await tempDir(), mnistDir: '', baseUrl }).load());
    expect(err.message).toContain('checksum mismatch');
  });

  it('reports an HTTP error with the URL', async () => {
    const url = baseUrl.replace('/mirror/', '/elsewhere/');
    const err = await failure(mnistDataset({ dataDir: await tempDir(), mnistDir: '', baseUrl: url, checksums }).load());
    expect(err.message).toMatch(new RegExp(`^could not download MNIST from ${url}[a-z0-9-]+\\.gz: `));
    expect(err.message).toMatch(/: HTTP 404 Not Found;/);
  });

  it('fails at once when nothing listens', async () => {
    const mnist = mnistDataset({ dataDir: await tempDir(), mnistDir: '', baseUrl: closedPortUrl, checksums });
    expect((await mnist.info()).available).toBe(true);
    const err = await failure(mnist.load());
    expect(err.message).toContain(`could not download MNIST from ${closedPortUrl}`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('set MNIST_DIR to a directory holding the four IDX files');
  });

  it('gives up on a mirror that never answers', async () => {
    const mnist = mnistDataset({
      dataDir: await tempDir(),
      mnistDir: '',
      baseUrl: silentUrl,
      timeoutMs: 200,
      checksums,
    });
    const err = await failure(mnist.load());
    expect(err.message).toContain('no complete answer within 200 ms');
  });

  it('reads MNIST_DIR when it holds the four files, without any request', async () => {
    const mnistDir = await tempDir();
    await writeFile(join(mnistDir, 'train-images-idx3-ubyte'), files.trainImages);
    await writeFile(join(mnistDir, 'train-labels-idx1-ubyte'), files.trainLabels);
    await writeFile(join(mnistDir, 't10k-images-idx3-ubyte.gz'), served['t10k-images-idx3-ubyte.gz']!);
    const partial = mnistDataset({ dataDir: await tempDir(), mnistDir, baseUrl: closedPortUrl, checksums });
    expect((await partial.info()).note).toBe(
      `downloaded from ${closedPortUrl} on first use (MNIST_DIR lacks t10k-labels-idx1-ubyte)`,
    );
    await writeFile(join(mnistDir, 't10k-labels-idx1-ubyte'), files.testLabels);
    const mnist = mnistDataset({ dataDir: await tempDir(), mnistDir, baseUrl: closedPortUrl, checksums });
    expect((await mnist.info()).note).toBeUndefined();
    const ds = await mnist.load();
    expect([ds.train.count, ds.test.count]).toEqual([20, 10]);
  });
});
