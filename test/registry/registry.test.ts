import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { applyPromoteRule } from '../../src/registry/promote.js';
import { createModelRegistry, type ModelRegistry, type VersionInput } from '../../src/registry/registry.js';
import { DEFAULT_PARAMS } from '../../src/training/params.js';

const confusion = Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => (r === c ? 9 : 0)));

/** A version as a completed job registers it: its own model id and job, with the given accuracy. */
function input(accuracy: number, jobId = randomUUID()): VersionInput {
  return {
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    metrics: { testLoss: 1 - accuracy, testAccuracy: accuracy, confusionMatrix: confusion },
    lineage: {
      jobId,
      params: { ...DEFAULT_PARAMS, seed: 5 },
      seed: 5,
      dataset: 'mnist-sample',
      datasetDigest: 'a'.repeat(64),
      backend: 'wasm',
      serviceVersion: '0.1.0',
      createdBy: 'key:0123456789ab',
    },
  };
}

// The registry against the suite's real Redis, under a prefix of its own.
describe('model registry', () => {
  let redis: Redis;
  let registry: ModelRegistry;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
    registry = createModelRegistry(redis, `ty-test-${randomBytes(4).toString('hex')}`);
  });
  afterAll(() => redis.disconnect());

  it('numbers versions 1, 2, … per name, keeps each immutable with its lineage, and a job registers once', async () => {
    const first = input(0.8);
    expect(await registry.register('team-a', 'digits', first)).toBe(1);
    expect(await registry.register('team-a', 'digits', input(0.9))).toBe(2);
    // The same job again (a retry after a crash): its first version, no third.
    expect(await registry.register('team-a', 'digits', { ...first, id: randomUUID() })).toBe(1);
    const v1 = await registry.version('team-a', 'digits', 1);
    expect(v1).toEqual({
      name: 'digits',
      version: 1,
      id: first.id,
      createdAt: first.createdAt,
      description: '',
      tags: {},
      aliases: [],
      metrics: first.metrics,
      lineage: first.lineage,
    });
    expect((await registry.versions('team-a', 'digits')).map((v) => [v.version, v.aliases])).toEqual([
      [2, ['latest']],
      [1, []],
    ]);
    expect(await registry.versionOfId('team-a', first.id)).toEqual({ name: 'digits', version: 1 });
  });

  it('keeps names per tenant: two tenants may both have "digits"', async () => {
    expect(await registry.register('team-b', 'digits', input(0.5))).toBe(1);
    expect((await registry.model('team-b', 'digits')).latestVersion).toBe(1);
    expect((await registry.model('team-a', 'digits')).latestVersion).toBe(2);
    await expect(registry.model('team-c', 'digits')).rejects.toBeInstanceOf(NotFoundError);
    expect((await registry.models('team-b')).map((m) => m.name)).toEqual(['digits']);
  });

  it('moves aliases with compare-and-set and keeps every move in the history', async () => {
    expect(await registry.moveAlias('team-a', 'digits', 'production', 1, { by: 'key:aaa', expected: null })).toEqual({
      from: null,
    });
    await expect(
      registry.moveAlias('team-a', 'digits', 'production', 2, { by: 'key:bbb', expected: null }),
    ).rejects.toMatchObject({ code: 'ALIAS_CONFLICT', message: expect.stringMatching(/holds version 1/) });
    expect(await registry.moveAlias('team-a', 'digits', 'production', 2, { by: 'key:bbb', expected: 1 })).toEqual({
      from: 1,
    });
    // Rolling back is moving it back.
    await registry.moveAlias('team-a', 'digits', 'production', 1, { by: 'key:aaa' });
    await expect(registry.moveAlias('team-a', 'digits', 'production', 9, { by: 'key:aaa' })).rejects.toMatchObject({
      code: 'MODEL_VERSION_NOT_FOUND',
    });
    const history = await registry.history('team-a', 'digits');
    expect(history.map(({ alias, from, to, by }) => ({ alias, from, to, by }))).toEqual([
      { alias: 'production', from: 2, to: 1, by: 'key:aaa' },
      { alias: 'production', from: 1, to: 2, by: 'key:bbb' },
      { alias: 'production', from: null, to: 1, by: 'key:aaa' },
    ]);
    expect(history.every((h) => !Number.isNaN(Date.parse(h.at)))).toBe(true);
    expect((await registry.model('team-a', 'digits')).aliases).toEqual({ production: 1, latest: 2 });
  });

  it('refuses to delete a version an alias holds, naming the alias; latest follows the newest left', async () => {
    await expect(registry.deleteVersion('team-a', 'digits', 1)).rejects.toMatchObject({
      statusCode: 409,
      code: 'VERSION_ALIASED',
      message: expect.stringMatching(/alias "production"/),
    });
    expect(await registry.register('team-a', 'digits', input(0.7))).toBe(3);
    await registry.deleteVersion('team-a', 'digits', 3);
    expect((await registry.model('team-a', 'digits')).latestVersion).toBe(2);
    // Numbers are never reused.
    expect(await registry.register('team-a', 'digits', input(0.7))).toBe(4);
    await expect(registry.version('team-a', 'digits', 3)).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
  });

  it('removes an alias (recorded), and answers 404 for one that does not exist', async () => {
    await registry.moveAlias('team-a', 'digits', 'staging', 2, { by: 'key:aaa' });
    expect(await registry.moveAlias('team-a', 'digits', 'staging', null, { by: 'key:aaa' })).toEqual({ from: 2 });
    expect((await registry.history('team-a', 'digits'))[0]).toMatchObject({ alias: 'staging', from: 2, to: null });
    await expect(registry.moveAlias('team-a', 'digits', 'staging', null, { by: 'key:aaa' })).rejects.toMatchObject({
      code: 'ALIAS_NOT_FOUND',
    });
  });

  it('keeps descriptions and tags of models and versions apart from their immutable record', async () => {
    await registry.setNotes('team-a', 'digits', undefined, { description: 'handwritten digits', tags: { team: 'a' } });
    await registry.setNotes('team-a', 'digits', 2, { tags: { reviewed: 'yes' } });
    expect(await registry.model('team-a', 'digits')).toMatchObject({
      description: 'handwritten digits',
      tags: { team: 'a' },
    });
    const v2 = await registry.version('team-a', 'digits', 2);
    expect([v2.description, v2.tags, v2.metrics.testAccuracy]).toEqual(['', { reviewed: 'yes' }, 0.9]);
  });

  it('lets one of two concurrent promotes of one alias win; the other is told another move won', async () => {
    await registry.register('team-p', 'race', input(0.5));
    const a = await registry.register('team-p', 'race', input(0.95));
    const b = await registry.register('team-p', 'race', input(0.96));
    const rule = { alias: 'production', if: { metric: 'testAccuracy' as const, atLeast: 0.9 } };
    // Both read the alias before either moves it: the race the compare-and-set settles, every run.
    let arrived = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const racing: ModelRegistry = {
      ...registry,
      async heads(...args: Parameters<ModelRegistry['heads']>) {
        const heads = await registry.heads(...args);
        if (++arrived === 2) release();
        await bothRead;
        return heads;
      },
    };
    const [pa, pb] = await Promise.all(
      [a, b].map(async (version) =>
        applyPromoteRule(
          racing,
          { tenant: 'team-p', name: 'race', version, jobId: `job-${version}` },
          (await registry.version('team-p', 'race', version)).metrics,
          rule,
        ),
      ),
    );
    expect([pa!.promoted, pb!.promoted].sort()).toEqual([false, true]);
    const loser = pa!.promoted ? pb! : pa!;
    expect(loser.reason).toMatch(/another move of alias "production" won/);
    const held = (await registry.model('team-p', 'race')).aliases.production;
    expect(held).toBe(pa!.promoted ? a : b);
  });

  it('applies promote rules: below a threshold or not better than the current holder stays put', async () => {
    const base = await registry.register('team-r', 'rules', input(0.9));
    await registry.moveAlias('team-r', 'rules', 'production', base, { by: 'key:aaa' });
    const worse = await registry.register('team-r', 'rules', input(0.85));
    const at = { tenant: 'team-r', name: 'rules', version: worse, jobId: 'job-worse' };
    const metrics = (await registry.version('team-r', 'rules', worse)).metrics;
    expect(
      await applyPromoteRule(registry, at, metrics, {
        alias: 'production',
        if: { metric: 'testAccuracy', betterThanCurrent: true },
      }),
    ).toEqual({
      alias: 'production',
      promoted: false,
      from: base,
      reason: `testAccuracy 0.85 does not beat 0.9 of version ${base}, which "production" holds`,
    });
    expect(
      await applyPromoteRule(registry, at, metrics, {
        alias: 'production',
        if: { metric: 'testAccuracy', atLeast: 0.9 },
      }),
    ).toMatchObject({ promoted: false, reason: 'testAccuracy 0.85 is below the required 0.9' });
    // A lower loss is better.
    expect(
      await applyPromoteRule(registry, at, metrics, {
        alias: 'candidate',
        if: { metric: 'testLoss', atMost: 0.2 },
      }),
    ).toMatchObject({ promoted: true, from: null });
    expect((await registry.model('team-r', 'rules')).aliases).toEqual({
      production: base,
      candidate: worse,
      latest: worse,
    });
  });

  it('deletes a model with its versions, aliases and history', async () => {
    const ids = await registry.deleteModel('team-a', 'digits');
    expect(ids).toHaveLength(3);
    await expect(registry.model('team-a', 'digits')).rejects.toBeInstanceOf(NotFoundError);
    await expect(registry.history('team-a', 'digits')).rejects.toBeInstanceOf(NotFoundError);
    expect(await registry.versionOfId('team-a', ids[0]!)).toBeUndefined();
    expect((await registry.models('team-a')).map((m) => m.name)).toEqual([]);
    // The name can be used again, from version 1.
    expect(await registry.register('team-a', 'digits', input(0.5))).toBe(1);
    await expect(registry.moveAlias('team-a', 'gone', 'x', 1, { by: 'k' })).rejects.toBeInstanceOf(NotFoundError);
  });
});
