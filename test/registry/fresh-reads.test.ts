import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, urlSettings, whenReady } from '../../src/queue/redis.js';
import { freshReads } from '../../src/registry/fresh-reads.js';

/** Each read is an INCR on a real Redis: its value says which read answered a caller. */
describe('fresh reads shared by concurrent callers', () => {
  const redis = createRedis(urlSettings(inject('redisUrl')), 'api') as Redis;
  const key = `ty-test-${randomBytes(4).toString('hex')}:reads`;
  let reads = 0;
  const read = freshReads(async (k) => {
    reads++;
    return redis.incr(k);
  });
  beforeAll(() => whenReady(redis));
  afterAll(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it('answers callers that queued during a read with one later read, never the one in flight', async () => {
    const first = read(key);
    // These arrive while the first read is in flight: they must not be answered by it.
    const queued = Array.from({ length: 20 }, () => read(key));
    const values = await Promise.all([first, ...queued]);
    expect(values[0]).toBe(1);
    expect(new Set(values.slice(1))).toEqual(new Set([2]));
    expect(reads).toBe(2);
    // A caller after both settled starts a read of its own.
    expect(await read(key)).toBe(3);
    expect(reads).toBe(3);
  });

  it('sees a change made before it asked', async () => {
    const before = await read(key);
    await redis.incrby(key, 100);
    expect(await read(key)).toBe(before + 101);
  });

  it('hands a failed read to its callers and reads again for the next ones', async () => {
    let fail = true;
    const flaky = freshReads(async (k) => {
      if (fail) throw new Error(`cannot read ${k}`);
      return redis.get(k);
    });
    const failed = flaky(key);
    const queued = flaky(key);
    fail = false;
    await expect(failed).rejects.toThrow(`cannot read ${key}`);
    expect(Number(await queued)).toBeGreaterThan(0);
    expect(Number(await flaky(key))).toBeGreaterThan(0);
  });
});
