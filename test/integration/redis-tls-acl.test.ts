import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { testConfig } from '../helpers/app.js';
import { freePort } from '../helpers/net.js';
import { startApi } from '../helpers/processes.js';
import { makeTlsFiles, startTlsRedis, TLS_PASSWORD, TLS_USER, type TlsRedis } from '../helpers/redis-tls.js';
import { startRedisCluster } from '../helpers/redis-topologies.js';

/**
 * The service against a redis-server that speaks TLS only and knows one ACL user: it starts with
 * the right CA and credentials, and otherwise stops at once with a line saying what is wrong.
 */
describe('Redis over TLS with an ACL user', () => {
  let redis: TlsRedis;
  let evicting: TlsRedis;
  const dirs: string[] = [];

  beforeAll(async () => {
    [redis, evicting] = await Promise.all([startTlsRedis(), startTlsRedis({ maxmemoryPolicy: 'allkeys-lru' })]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), evicting?.stop()]);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  const config = async (server: TlsRedis, env: Record<string, string>): Promise<Config> => {
    const c = await testConfig({
      REDIS_URL: `rediss://127.0.0.1:${server.port}`,
      REDIS_TLS_CA_FILE: server.caFile,
      REDIS_USERNAME: server.user,
      REDIS_PASSWORD: server.password,
      ...env,
    });
    dirs.push(c.DATA_DIR);
    return { ...c, PORT: await freePort() };
  };

  /** Starts the API and expects it to exit at once; returns what it said. */
  const refused = async (c: Config): Promise<string> => {
    const err = await startApi(c).then(
      async (api) => {
        await api.stop();
        throw new Error('the API started');
      },
      (e: Error) => e,
    );
    expect(err.message).toContain('server.js exited with 1');
    return err.message;
  };

  it('connects with the right CA and credentials, logs the topology without the password', async () => {
    const c = await config(redis, {});
    const api = await startApi(c);
    try {
      const base = `http://127.0.0.1:${c.PORT}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const res = await fetch(`${base}/v1/training-jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'tls-1' },
        body: JSON.stringify({ epochs: 1 }),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const read = await fetch(`${base}/v1/training-jobs/${id}`);
      expect(read.status).toBe(200);
      expect(((await read.json()) as { state: string }).state).toBe('queued');
      const line = api
        .output()
        .split('\n')
        .find((l) => l.includes('redis reachable'))!;
      expect(JSON.parse(line).redis).toEqual({
        mode: 'single',
        endpoint: `127.0.0.1:${redis.port}`,
        db: 0,
        tls: true,
        user: redis.user,
      });
      expect(api.output()).not.toContain(redis.password);
      expect(api.output()).not.toContain('maxmemory-policy');
    } finally {
      await api.stop();
    }
  });

  it('names a wrong password, a missing one and a plain connection to the TLS port', async () => {
    expect(await refused(await config(redis, { REDIS_PASSWORD: 'not-it' }))).toContain(
      'Redis refused the connection: WRONGPASS invalid username-password pair or user is disabled.: check REDIS_USERNAME / REDIS_PASSWORD',
    );
    expect(await refused(await config(redis, { REDIS_USERNAME: '', REDIS_PASSWORD: '' }))).toContain(
      'NOAUTH Authentication required.: this Redis needs a password (REDIS_PASSWORD or the URL)',
    );
    const plain = await refused(
      await config(redis, { REDIS_URL: `redis://127.0.0.1:${redis.port}`, REDIS_TLS_CA_FILE: '' }),
    );
    expect(plain).toContain(`Redis is not reachable at redis://127.0.0.1:${redis.port}`);
    expect(plain).toContain('is this port speaking TLS? rediss:// needs a TLS port');
  });

  it('refuses a server its CA did not sign, or whose certificate does not name the host', async () => {
    const untrusted = "the server's certificate is not trusted; set REDIS_TLS_CA_FILE to the CA that signed it";
    expect(await refused(await config(redis, { REDIS_TLS_CA_FILE: redis.otherCaFile }))).toContain(untrusted);
    expect(await refused(await config(redis, { REDIS_TLS_CA_FILE: '' }))).toContain(untrusted);
    expect(await refused(await config(redis, { REDIS_URL: `rediss://localhost:${redis.port}` }))).toContain(
      'the certificate does not name this host',
    );
  });

  it('warns of a Redis that evicts keys, and refuses it when asked to', async () => {
    const api = await startApi(await config(evicting, {}));
    await api.stop();
    expect(api.output()).toContain(
      `Redis 127.0.0.1:${evicting.port} has maxmemory-policy allkeys-lru: under memory pressure it may evict a job's keys and lose the job; set noeviction (REDIS_REQUIRE_NOEVICTION=true would refuse to start)`,
    );
    expect(await refused(await config(evicting, { REDIS_REQUIRE_NOEVICTION: 'true' }))).toContain(
      'set noeviction (REDIS_REQUIRE_NOEVICTION=true refuses to start)',
    );
  });

  it('connects to a cluster that speaks TLS only, with the ACL user', async () => {
    const files = await makeTlsFiles();
    dirs.push(files.dir);
    const cluster = await startRedisCluster(3, 0, files);
    try {
      const c = await testConfig({
        REDIS_URL: cluster.url,
        REDIS_TLS_CA_FILE: files.caFile,
        REDIS_USERNAME: TLS_USER,
        REDIS_PASSWORD: TLS_PASSWORD,
        QUEUE_PREFIX: '{ty-tls-cluster}',
      });
      dirs.push(c.DATA_DIR);
      const port = await freePort();
      const api = await startApi({ ...c, PORT: port });
      try {
        const line = api
          .output()
          .split('\n')
          .find((l) => l.includes('redis reachable'))!;
        expect(JSON.parse(line).redis).toMatchObject({ mode: 'cluster', tls: true, user: TLS_USER });
        const base = `http://127.0.0.1:${port}`;
        const res = await fetch(`${base}/v1/training-jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ epochs: 1 }),
        });
        expect(res.status).toBe(202);
        const { id } = (await res.json()) as { id: string };
        expect((await fetch(`${base}/v1/training-jobs/${id}`)).status).toBe(200);
        expect(api.output()).not.toContain(TLS_PASSWORD);
      } finally {
        await api.stop();
      }
    } finally {
      await cluster.stop();
    }
  });
});
