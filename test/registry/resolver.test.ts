import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, urlSettings, whenReady } from '../../src/queue/redis.js';
import { createModelRegistry, type ModelRegistry, type VersionInput } from '../../src/registry/registry.js';
import { createModelResolver, type ModelResolver } from '../../src/registry/resolver.js';
import { DEFAULT_PARAMS } from '../../src/training/params.js';
import { waitFor } from '../helpers/processes.js';

const version = (): VersionInput => ({
  id: randomUUID(),
  createdAt: new Date().toISOString(),
  metrics: { testLoss: 0.3, testAccuracy: 0.9 },
  lineage: {
    jobId: randomUUID(),
    params: { ...DEFAULT_PARAMS, seed: 1 },
    seed: 1,
    dataset: 'mnist-sample',
    datasetDigest: 'b'.repeat(64),
    backend: 'wasm',
    serviceVersion: '0.1.0',
    createdBy: 'test',
  },
});

/**
 * Two "replicas", each with its own connections and cache, and a third party (a worker, another
 * replica) that changes the registry. The caches never expire here (an hour): only the published
 * changes can make a replica see a move.
 */
describe('resolving names on many replicas', () => {
  const prefix = `ty-test-${randomBytes(4).toString('hex')}`;
  const connections: Redis[] = [];
  let writer: ModelRegistry;
  let replicas: ModelResolver[];
  const connect = () => {
    const c = createRedis(urlSettings(inject('redisUrl')), 'api') as Redis;
    c.on('error', () => {});
    connections.push(c);
    return c;
  };
  const replica = (maxAgeMs = 3_600_000) => {
    const redis = connect();
    const subscriber = new Redis(inject('redisUrl'));
    connections.push(subscriber);
    return createModelResolver({ registry: createModelRegistry(redis, prefix), redis, subscriber, prefix, maxAgeMs });
  };

  beforeAll(async () => {
    const writerRedis = new Redis(inject('redisUrl'));
    connections.push(writerRedis);
    writer = createModelRegistry(writerRedis, prefix);
    replicas = [replica(), replica()];
    await Promise.all(connections.map((c) => (c.status === 'ready' ? undefined : whenReady(c))));
    await writer.register('default', 'digits', version());
    // Subscribed before anything is cached.
    await waitFor(async () => {
      const [, count] = (await writerRedis.pubsub('NUMSUB', `${prefix}:registry:changes`)) as [string, number];
      return count >= 2 || undefined;
    }, 5000);
  });
  afterAll(() => {
    replicas.forEach((r) => r.close());
    connections.forEach((c) => c.disconnect());
  });

  it('resolves a bare name to latest, then to production once it exists; names every alias used', async () => {
    const [a] = replicas;
    expect(await a!.resolve('default', 'digits')).toMatchObject({ version: 1, alias: 'latest' });
    await writer.register('default', 'digits', version());
    await writer.moveAlias('default', 'digits', 'production', 1, { by: 'test' });
    const seen = await waitFor(async () => {
      const r = await a!.resolve('default', 'digits');
      return r.alias === 'production' ? r : undefined;
    }, 1000);
    expect(seen).toMatchObject({ name: 'digits', version: 1, alias: 'production' });
    expect(await a!.resolve('default', 'digits', { alias: 'latest' })).toMatchObject({ version: 2, alias: 'latest' });
    expect(await a!.resolve('default', 'digits', { version: 2 })).toMatchObject({ version: 2, alias: null });
  });

  it('sees an alias moved elsewhere on every replica within a second, though both had it cached', async () => {
    for (const r of replicas) expect((await r.resolve('default', 'digits', { alias: 'production' })).version).toBe(1);
    await writer.moveAlias('default', 'digits', 'production', 2, { by: 'test' });
    for (const r of replicas) {
      const moved = await waitFor(async () => {
        const now = await r.resolve('default', 'digits', { alias: 'production' });
        return now.version === 2 ? now : undefined;
      }, 1000);
      expect(moved.version).toBe(2);
    }
  });

  it('serves a version registered elsewhere as latest at once, with no message needed', async () => {
    // A subscriber that never connects: this replica hears no change at all.
    const deaf = new Redis(inject('redisUrl'), { lazyConnect: true });
    connections.push(deaf);
    const redis = connect();
    await whenReady(redis);
    const r = createModelResolver({ registry: createModelRegistry(redis, prefix), redis, subscriber: deaf, prefix });
    const before = await r.resolve('default', 'digits', { alias: 'latest' });
    const n = await writer.register('default', 'digits', version());
    expect(n).toBe(before.version + 1);
    expect(await r.resolve('default', 'digits', { alias: 'latest' })).toMatchObject({ version: n, alias: 'latest' });
    expect(await r.resolve('default', 'digits', { version: n })).toMatchObject({ version: n });
    await writer.register('default', 'letters', version());
    expect(await r.names('default', 10)).toEqual(['letters', 'digits']);
    r.close();
  });

  it('answers 404s for a missing model, alias or version', async () => {
    const [a] = replicas;
    await expect(a!.resolve('default', 'nothing')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(a!.resolve('default', 'digits', { alias: 'canary' })).rejects.toMatchObject({
      code: 'ALIAS_NOT_FOUND',
    });
    await expect(a!.resolve('default', 'digits', { version: 7 })).rejects.toMatchObject({
      code: 'MODEL_VERSION_NOT_FOUND',
    });
    // Another tenant's "digits" is not this one's.
    await expect(a!.resolve('team-b', 'digits')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('keeps answering from what it read last while Redis cannot answer', async () => {
    const redis = connect();
    const subscriber = new Redis(inject('redisUrl'));
    connections.push(subscriber);
    const r = createModelResolver({
      registry: createModelRegistry(redis, prefix),
      redis,
      subscriber,
      prefix,
      maxAgeMs: 0,
    });
    await Promise.all([whenReady(redis), whenReady(subscriber)]);
    const before = await r.resolve('default', 'digits', { alias: 'production' });
    redis.disconnect(); // no offline queue: every command now fails at once
    expect(await r.resolve('default', 'digits', { alias: 'production' })).toEqual(before);
    await expect(r.resolve('default', 'never-read')).rejects.toThrow();
    r.close();
  });
});
