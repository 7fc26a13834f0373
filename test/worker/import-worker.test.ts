import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { readImportRecord } from '../../src/datasets/import/records.js';
import { createDatasetStore } from '../../src/datasets/store.js';
import { createImportQueue, queueImport, type ImportQueue } from '../../src/queue/import-queue.js';
import { createFsStorage } from '../../src/storage/fs.js';
import { createImportWorker, type ImportWorker } from '../../src/worker/import-worker.js';
import { classFolders, makeZip } from '../helpers/archives.js';
import { waitFor } from '../helpers/processes.js';

/**
 * The import worker itself ends an import its child never could: here a job that BullMQ fails
 * for stalling too often (its deferred failure, set as BullMQ's stalled check sets it), before any
 * attempt runs, with attempts left.
 */
describe('the import worker', () => {
  let dir: string;
  let redis: Redis;
  let queue: ImportQueue;
  let worker: ImportWorker | undefined;
  const prefix = `ty-test-${randomBytes(4).toString('hex')}`;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainyard-import-worker-'));
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    queue = createImportQueue(redis, prefix);
  });

  afterEach(async () => {
    await worker?.close(true);
    await queue.close();
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('marks a dataset failed when BullMQ fails its import job for stalling', async () => {
    const storage = createFsStorage({ dir });
    const store = createDatasetStore({
      storage,
      dir,
      fashionMnistDir: join(dir, 'none'),
      mnistDir: join(dir, 'none'),
      mnistBaseUrl: 'http://127.0.0.1:9/',
      maxUploadBytes: 256 * 1024 * 1024,
    });
    const session = await store.beginImport('key:test');
    await session.addSource('archive', Readable.from([await makeZip(classFolders(['a', 'b'], 3))]));
    const { id } = await session.commit('t', { preprocess: 'mnist', testSplit: 0.2, seed: 1 });
    await session.abort();
    await queueImport(queue, { tenant: 'default', dataset: id });
    await redis.hset(`${prefix}:dataset-import:${id}`, 'defa', 'job stalled more than allowable limit');
    worker = createImportWorker({
      connection: redis,
      prefix,
      logger: pino({ level: 'silent' }),
      lockMs: 30_000,
      stalledCheckMs: 30_000,
      storage,
    });
    const record = await waitFor(async () => {
      const r = await readImportRecord(storage, id);
      return r?.state === 'failed' ? r : undefined;
    }, 30_000);
    expect(record.import.error).toMatch(/^the import failed on the server/);
    expect((await queue.getJob(id))?.failedReason).toBe('job stalled more than allowable limit');
    expect(await storage.list(`datasets/${id}/`)).toEqual([`datasets/${id}/import.json`]);
    await expect(store.get(id)).resolves.toMatchObject({ state: 'failed', available: false });
  });
});
