import { readdir } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { makeIdxFiles, makeIdxImages } from '../../helpers/idx.js';
import { expectError, multipart, type Part } from '../../helpers/http.js';

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(32);
const MB = 1024 * 1024;

/** Bytes one stored upload of `train` and `test` images takes (four files, uncompressed). */
const storedBytes = (train: number, test: number) => 16 + train * 784 + 8 + train + 16 + test * 784 + 8 + test;

describe('dataset upload limits', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await buildTestApp({
      API_KEYS: `${KEY_A}:train,${KEY_B}:train`,
      MAX_DATASET_BYTES: String(MB),
      MAX_DATASETS_PER_KEY: '2',
      MAX_DATASET_STORAGE_PER_KEY: String(storedBytes(100, 10) + storedBytes(20, 10)),
      MAX_DATASET_IMAGES: '120',
      MAX_UPLOADS_IN_FLIGHT_PER_KEY: '2',
      MAX_UPLOADS_IN_FLIGHT: '3',
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const upload = async (key: string, parts: Part[]) => {
    const body = await multipart(parts, { filename: (n) => `${n}.idx` });
    return t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: body.payload,
      headers: { ...body.headers, ...auth(key) },
    });
  };
  const files = (train = 20, test = 10): Part[] => Object.entries(makeIdxFiles(train, test));
  const replacing = (field: string, value: Uint8Array): Part[] =>
    files().map(([f, v]): Part => [f, f === field ? value : v]);
  const uploads = async (key: string) => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/datasets', headers: auth(key) });
    return (res.json() as { items: { id: string; builtin: boolean }[] }).items.filter((d) => !d.builtin);
  };
  /** Nothing half-written: every dataset folder has its marker, and no staging file is left. */
  const expectNoLeftovers = async () => {
    const dir = join(t.config.DATA_DIR, 'datasets');
    for (const id of await readdir(dir).catch(() => [])) {
      expect(await readdir(join(dir, id)), id).toContain('dataset.json');
    }
    expect(await readdir(join(t.config.DATA_DIR, '.staging')).catch(() => [])).toEqual([]);
  };
  const removeAll = async (key: string) => {
    for (const d of await uploads(key)) {
      await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${d.id}`, headers: auth(key) });
    }
  };

  it('stops a gzip bomb at the size its header declares, storing nothing', async () => {
    const zeros = gzipSync(Buffer.alloc(MB), { level: 9 });
    const bomb = Buffer.concat([gzipSync(makeIdxImages(20)), ...Array.from({ length: 50 }, () => zeros)]);
    const res = await upload(KEY_A, [['name', 'bomb'], ...replacing('trainImages', bomb)]);
    expectError(
      res,
      400,
      'INVALID_IDX',
      /^trainImages: decompresses to more than the 15696 bytes its header declares$/,
    );
    expect(await uploads(KEY_A)).toEqual([]);
    await expectNoLeftovers();
  });

  it('refuses a file declaring more than MAX_DATASET_BYTES from its header', async () => {
    const header = makeIdxImages(0);
    header.writeUInt32BE(2 ** 32 - 1, 4);
    const res = await upload(KEY_A, [['name', 'huge'], ...replacing('trainImages', gzipSync(header))]);
    expectError(
      res,
      400,
      'IDX_TOO_LARGE',
      /^trainImages: header declares 4,294,967,295 images \(3,367,254,359,296 bytes uncompressed\), more than the limit of 1,048,576 bytes \(MAX_DATASET_BYTES\)$/,
    );
    await expectNoLeftovers();
  });

  it('cuts off a file over the upload limit as it arrives (a gzip header that never ends)', async () => {
    // FNAME flag set, and a "file name" of 2 MB: gunzip would read it all before any output.
    const endless = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]), Buffer.alloc(2 * MB, 0x61)]);
    const res = await upload(KEY_A, [['name', 'endless'], ...replacing('testImages', endless)]);
    expectError(
      res,
      413,
      'PAYLOAD_TOO_LARGE',
      /^testImages: more than \d+ bytes as uploaded; .*\(MAX_DATASET_BYTES\)$/,
    );
    expect(res.headers.connection).toBe('close');
    await expectNoLeftovers();
  });

  it('refuses a name field of 2,000 characters as a missing name', async () => {
    const res = await upload(KEY_A, [['name', 'n'.repeat(2000)], ...files()]);
    expectError(res, 400, 'MISSING_FIELD', /"name" is required \(1–100 characters\)/);
    await expectNoLeftovers();
  });

  it('refuses more images than MAX_DATASET_IMAGES, train and test together', async () => {
    const res = await upload(KEY_A, [['name', 'many'], ...files(115, 10)]);
    expectError(
      res,
      413,
      'TOO_MANY_IMAGES',
      /^testImages: the dataset would hold 125 images \(train \+ test\); at most 120 \(MAX_DATASET_IMAGES\)$/,
    );
    await expectNoLeftovers();
  });

  it('counts datasets and bytes per key: MAX_DATASETS_PER_KEY and MAX_DATASET_STORAGE_PER_KEY', async () => {
    expect((await upload(KEY_A, [['name', 'a1'], ...files(100, 10)])).statusCode).toBe(201);
    // The second would pass the count but not the bytes: refused from its headers, nothing kept.
    const tooBig = await upload(KEY_A, [['name', 'a2'], ...files(21, 10)]);
    expectError(tooBig, 413, 'DATASET_STORAGE_QUOTA_EXCEEDED', /more than [\d,]+ \(MAX_DATASET_STORAGE_PER_KEY\)$/);
    expect((await upload(KEY_A, [['name', 'a2'], ...files(20, 10)])).statusCode).toBe(201);
    const third = await upload(KEY_A, [['name', 'a3'], ...files(1, 1)]);
    expectError(
      third,
      429,
      'DATASET_QUOTA_EXCEEDED',
      /^you have 2 datasets stored; at most 2 \(MAX_DATASETS_PER_KEY\); delete one to upload another$/,
    );
    // Another key has quotas of its own.
    expect((await upload(KEY_B, [['name', 'b1'], ...files(100, 10)])).statusCode).toBe(201);
    expect((await uploads(KEY_A)).length).toBe(3); // the listing shows every key's datasets
    await expectNoLeftovers();
    await removeAll(KEY_A);
    expect((await upload(KEY_A, [['name', 'a4'], ...files(1, 1)])).statusCode).toBe(201);
    await removeAll(KEY_A);
  });

  /** Starts an upload over real HTTP that sends part of its first file and then waits. */
  async function heldUpload(key: string): Promise<ClientRequest> {
    const body = await multipart([['name', 'held'], ...files(20, 10)], { filename: (n) => `${n}.idx` });
    const req = httpRequest(`${base}/v1/datasets`, {
      method: 'POST',
      headers: { ...body.headers, ...auth(key), 'content-length': String(body.payload.length) },
    });
    req.on('error', () => {}); // destroyed by the test
    req.write(body.payload.subarray(0, 10_000)); // into the first file
    return req;
  }

  /** Waits until `n` uploads are streaming their first file into staging files. */
  async function stagedFiles(n: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await readdir(join(t.config.DATA_DIR, '.staging')).catch(() => [])).length >= n) return;
      await sleep(25);
    }
    throw new Error(`${n} uploads never started streaming`);
  }

  /** The answer to an upload, retried while the server still counts uploads whose clients left. */
  async function uploadWhenFree(key: string, parts: Part[]) {
    for (let i = 0; ; i++) {
      const res = await upload(key, parts);
      if (res.statusCode !== 429 || i === 100) return res;
      await sleep(50);
    }
  }

  it('bounds uploads in flight per key and in total, and a client that leaves mid-upload leaves nothing', async () => {
    const before = await uploads(KEY_A);
    const held: ClientRequest[] = [];
    onTestFinished(() => held.forEach((req) => req.destroy()));
    held.push(await heldUpload(KEY_A));
    await stagedFiles(1);
    held.push(await heldUpload(KEY_A));
    await stagedFiles(2);
    const third = await upload(KEY_A, [['name', 'third'], ...files()]);
    expectError(
      third,
      429,
      'TOO_MANY_UPLOADS',
      /^you have 2 dataset uploads running; at most 2 \(MAX_UPLOADS_IN_FLIGHT_PER_KEY\)/,
    );
    expect(third.headers['retry-after']).toBe('5');
    held.push(await heldUpload(KEY_B));
    await stagedFiles(3);
    const overall = await upload(KEY_B, [['name', 'fourth'], ...files()]);
    expectError(
      overall,
      429,
      'TOO_MANY_UPLOADS',
      /^3 dataset uploads running on this server; at most 3 \(MAX_UPLOADS_IN_FLIGHT\)/,
    );

    for (const req of held) req.destroy();
    const after = await uploadWhenFree(KEY_A, [['name', 'after'], ...files()]);
    expect(after.statusCode).toBe(201);
    await removeAll(KEY_A);
    expect(await uploads(KEY_A)).toEqual(before);
    await expectNoLeftovers();
  });
});
