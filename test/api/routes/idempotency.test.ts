import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/errors.js';
import { createIdempotency, fingerprint, IDEMPOTENCY_TTL_SECONDS } from '../../../src/queue/idempotency.js';
import { DEFAULT_PARAMS } from '../../../src/training/params.js';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { expectError } from '../../helpers/http.js';

interface Job {
  id: string;
  name: string;
  state: string;
  params: { epochs: number; seed: number };
}

describe('Idempotency-Key on POST /v1/training-jobs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  let n = 0;
  const freshKey = () => `key-${Date.now()}-${n++}`;
  const post = (payload: unknown, key?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/training-jobs',
      headers: key === undefined ? {} : { 'idempotency-key': key },
      payload: payload as object,
    });
  const listIds = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/training-jobs?limit=500' });
    expect(res.statusCode).toBe(200);
    return (res.json() as { items: Job[] }).items.map((j) => j.id);
  };

  it('the first request creates the job (202); a repeat answers the same job with 200 and creates none', async () => {
    const key = freshKey();
    const before = await listIds();
    const first = await post({ epochs: 2, name: 'once' }, key);
    expect(first.statusCode).toBe(202);
    const job = first.json() as Job;
    expect(job).toMatchObject({ name: 'once', state: 'queued', params: { epochs: 2 } });
    expect(first.headers.location).toBe(`/v1/training-jobs/${job.id}`);

    const again = await post({ epochs: 2, name: 'once' }, key);
    expect(again.statusCode).toBe(200);
    expect(again.headers.location).toBe(`/v1/training-jobs/${job.id}`);
    expect(again.json()).toEqual(job); // the same seed too: the job is not made again

    const after = await listIds();
    expect(after).toHaveLength(before.length + 1);
    expect(after.filter((id) => id === job.id)).toHaveLength(1);
  });

  it('field order and spelled-out defaults do not make a different body', async () => {
    const key = freshKey();
    const first = await post({ name: 'order', epochs: 3 }, key);
    expect(first.statusCode).toBe(202);
    const same = await post({ epochs: 3, dataset: 'mnist-sample', batchSize: 64, name: 'order' }, key);
    expect(same.statusCode).toBe(200);
    expect(same.json()).toEqual(first.json());
  });

  it('the same key with a different body → 409 IDEMPOTENCY_KEY_REUSED, and no job', async () => {
    const key = freshKey();
    const first = await post({ epochs: 1 }, key);
    expect(first.statusCode).toBe(202);
    const before = await listIds();
    for (const other of [{ epochs: 2 }, { epochs: 1, name: 'renamed' }, { epochs: 1, seed: 5 }]) {
      expectError(await post(other, key), 409, 'IDEMPOTENCY_KEY_REUSED', /different request body/);
    }
    expect(await listIds()).toEqual(before);
    // The key still answers its own body.
    const replay = await post({ epochs: 1 }, key);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual(first.json());
  });

  it('20 concurrent requests with one key create exactly one job', async () => {
    const key = freshKey();
    const before = await listIds();
    const answers = await Promise.all(Array.from({ length: 20 }, () => post({ epochs: 4, name: 'race' }, key)));
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([...Array<number>(19).fill(200), 202]);
    const ids = new Set(answers.map((r) => (r.json() as Job).id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    for (const r of answers) {
      expect(r.headers.location).toBe(`/v1/training-jobs/${id}`);
      expect(r.json()).toMatchObject({ id, name: 'race', state: 'queued', params: { epochs: 4 } });
    }
    const after = await listIds();
    expect(after).toHaveLength(before.length + 1);
    expect(after).toContain(id);
  });

  it('without a key, two identical requests create two jobs', async () => {
    const before = await listIds();
    const a = await post({ epochs: 1, name: 'twice' });
    const b = await post({ epochs: 1, name: 'twice' });
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.json().id).not.toBe(b.json().id);
    expect(b.json()).toMatchObject({ name: 'twice', state: 'queued' });
    expect(await listIds()).toHaveLength(before.length + 2);
  });

  it('keys are separate: two keys with one body create two jobs', async () => {
    const a = await post({ epochs: 1 }, freshKey());
    const b = await post({ epochs: 1 }, freshKey());
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.json().id).not.toBe(b.json().id);
  });

  it.each([
    ['empty', ''],
    ['300 characters', 'k'.repeat(300)],
    ['201 characters', 'k'.repeat(201)],
    ['non-ASCII (é)', 'clé-1'],
    ['non-ASCII (CJK)', 'キー'],
    ['a control character (tab)', 'a\tb'],
  ])('a key that is %s → 400 naming the header, and no job', async (_, key) => {
    const before = await listIds();
    const res = await post({ epochs: 1 }, key);
    expectError(res, 400, 'VALIDATION_ERROR', /idempotency-key/);
    expect(await listIds()).toEqual(before);
  });

  it('accepts a key of 200 printable characters, spaces and punctuation included', async () => {
    const key = `${'~!@#$%^&*()_+{}|:"<>? '.repeat(10)}`.slice(0, 199) + 'z';
    expect(key).toHaveLength(200);
    const first = await post({ epochs: 1 }, key);
    expect(first.statusCode).toBe(202);
    const again = await post({ epochs: 1 }, key);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
  });

  it('a refused first request leaves the key free: a corrected retry creates the job', async () => {
    const key = freshKey();
    const before = await listIds();
    expectError(await post({ dataset: 'no-such-dataset' }, key), 404, 'DATASET_NOT_FOUND', /no-such-dataset/);
    expectError(await post({ dataset: 'no-such-dataset' }, key), 404, 'DATASET_NOT_FOUND', /no-such-dataset/);
    const fixed = await post({ dataset: 'mnist-sample', epochs: 1 }, key);
    expect(fixed.statusCode).toBe(202);
    expect(fixed.json()).toMatchObject({ dataset: 'mnist-sample', state: 'queued' });
    expect(await listIds()).toHaveLength(before.length + 1);
  });

  it('a claim abandoned mid-way (no job after 10 s) is taken over', async () => {
    const key = freshKey();
    const body = { epochs: 1, name: 'abandoned' };
    // What a request that died between claiming the key and adding the job leaves: a claim
    // for the same body, its TTL showing it was made 11 s ago, and no job.
    const claim = JSON.stringify({
      hash: fingerprint({ dataset: 'mnist-sample', ...DEFAULT_PARAMS, ...body }),
      id: 'never-added',
    });
    const redisKey = `${t.config.QUEUE_PREFIX}:idempotency:${key}`;
    await t.deps.redis.set(redisKey, claim, 'PX', IDEMPOTENCY_TTL_SECONDS * 1000 - 11_000);
    const res = await post(body, key);
    expect(res.statusCode).toBe(202);
    const job = res.json() as Job;
    expect(job).toMatchObject({ name: 'abandoned', state: 'queued' });
    expect(job.id).not.toBe('never-added');
    expect(JSON.parse((await t.deps.redis.get(redisKey))!)).toMatchObject({ id: job.id, done: true });
  });

  it('replays a cancelled job as it is now, and answers 404 once its record is deleted', async () => {
    const key = freshKey();
    const job = (await post({ epochs: 1, name: 'to cancel' }, key)).json() as Job;
    const cancel = await t.app.inject({ method: 'POST', url: `/v1/training-jobs/${job.id}/cancel` });
    expect(cancel.statusCode).toBe(202);
    const replay = await post({ epochs: 1, name: 'to cancel' }, key);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ id: job.id, state: 'cancelled' });

    const removed = await t.app.inject({ method: 'DELETE', url: `/v1/training-jobs/${job.id}` });
    expect(removed.statusCode).toBe(204);
    const before = await listIds();
    expectError(await post({ epochs: 1, name: 'to cancel' }, key), 404, 'JOB_NOT_FOUND', /has been deleted/);
    expect(await listIds()).toEqual(before);
  });

  describe('when creating the job fails', () => {
    const store = () => createIdempotency(async () => t.deps.redis, `${t.config.QUEUE_PREFIX}-unit`);

    it('a refusal frees the key: the next request creates the job under a new id', async () => {
      const idem = store();
      const key = freshKey();
      const tried: string[] = [];
      const refuse = async (id: string) => {
        tried.push(id);
        throw new NotFoundError('dataset "x" not found', 'DATASET_NOT_FOUND');
      };
      await expect(idem.once(key, { a: 1 }, refuse, async () => undefined)).rejects.toThrow(/dataset "x"/);
      const made = await idem.once(
        key,
        { a: 2 },
        async (id) => ({ id }),
        async () => undefined,
      );
      expect(made.replayed).toBe(false);
      expect(made.job.id).not.toBe(tried[0]);
    });

    it('any other failure keeps the claim: a retry answers the job if it was written after all', async () => {
      const idem = store();
      const key = freshKey();
      const written: string[] = [];
      // A timed-out command that Redis still carried out: the job exists, the request failed.
      const timeout = async (id: string) => {
        written.push(id);
        throw new Error('Command timed out');
      };
      await expect(idem.once(key, { a: 1 }, timeout, async () => undefined)).rejects.toThrow('Command timed out');
      const mustNotCreate = async (): Promise<{ id: string }> => {
        throw new Error('created a second job');
      };
      const found = async (id: string) => (written.includes(id) ? { id } : undefined);
      expect(await idem.once(key, { a: 1 }, mustNotCreate, found)).toEqual({ job: { id: written[0] }, replayed: true });
    });
  });
});
