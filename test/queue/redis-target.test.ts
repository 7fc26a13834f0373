import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import {
  describeTarget,
  parseRedisTarget,
  redactUrl,
  RedisSettingsError,
  type RedisSettings,
} from '../../src/queue/redis-target.js';

const settings = (over: Partial<RedisSettings>): RedisSettings => ({
  REDIS_URL: 'redis://127.0.0.1:6379',
  REDIS_USERNAME: '',
  REDIS_PASSWORD: '',
  REDIS_TLS_CA_FILE: '',
  REDIS_SENTINEL_USERNAME: '',
  REDIS_SENTINEL_PASSWORD: '',
  QUEUE_PREFIX: 'trainyard',
  ...over,
});

const problemsOf = (over: Partial<RedisSettings>): string[] => {
  try {
    parseRedisTarget(settings(over));
  } catch (err) {
    if (err instanceof RedisSettingsError) return err.problems;
    throw err;
  }
  return [];
};

describe('Redis connection forms', () => {
  it('reads one endpoint with credentials from the URL or the settings', () => {
    expect(parseRedisTarget(settings({ REDIS_URL: 'redis://app:s%40cret@cache.internal:6380/2' }))).toEqual({
      kind: 'single',
      host: 'cache.internal',
      port: 6380,
      db: 2,
      tls: undefined,
      username: 'app',
      password: 's@cret',
    });
    const t = parseRedisTarget(
      settings({ REDIS_URL: 'rediss://cache.internal', REDIS_USERNAME: 'u', REDIS_PASSWORD: 'p' }),
    );
    expect(t).toMatchObject({ kind: 'single', port: 6379, tls: {}, username: 'u', password: 'p' });
  });

  it('reads Sentinel and Cluster forms', () => {
    const s = parseRedisTarget(
      settings({ REDIS_URL: 'redis+sentinel://:pw@10.0.0.1,10.0.0.2:26380/mymaster/1', REDIS_SENTINEL_PASSWORD: 'sp' }),
    );
    expect(s).toMatchObject({
      kind: 'sentinel',
      name: 'mymaster',
      db: 1,
      password: 'pw',
      sentinelPassword: 'sp',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
    });
    const c = parseRedisTarget(settings({ REDIS_URL: 'redis+cluster://h1:7000,h2:7001', QUEUE_PREFIX: '{ty}' }));
    expect(c).toMatchObject({
      kind: 'cluster',
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
      ],
    });
  });

  it('names every problem on a line of its own', () => {
    expect(problemsOf({ REDIS_URL: 'http://x' })).toEqual([
      'REDIS_URL="http://x": must start with redis://, rediss://, redis+sentinel:// or redis+cluster://',
    ]);
    expect(problemsOf({ REDIS_URL: 'redis://a:1,b:2' })[0]).toContain('names several hosts');
    expect(problemsOf({ REDIS_URL: 'redis://a:99999' })[0]).toContain('"a:99999" is not host:port');
    expect(problemsOf({ REDIS_URL: 'redis+sentinel://a:26379' })[0]).toContain('master name');
    expect(problemsOf({ REDIS_URL: 'redis+cluster://a:7000', QUEUE_PREFIX: 'trainyard' })[0]).toContain(
      'in cluster mode it must hold a hash tag such as {trainyard}',
    );
    expect(problemsOf({ REDIS_URL: 'redis://a', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' })).toEqual([
      'REDIS_TLS_CA_FILE is set but REDIS_URL does not use TLS (rediss://)',
      'REDIS_TLS_CA_FILE="/nonexistent/ca.pem": cannot be read (ENOENT)',
    ]);
    expect(problemsOf({ REDIS_URL: 'redis://a', REDIS_SENTINEL_PASSWORD: 'x' })[0]).toContain('not redis+sentinel://');
    expect(problemsOf({ REDIS_URL: 'redis://a', REDIS_USERNAME: 'u' })[0]).toContain('without a password');
    expect(
      problemsOf({ REDIS_URL: `redis+cluster://${Array(33).fill('h:1').join(',')}`, QUEUE_PREFIX: '{t}' }),
    ).toEqual(['REDIS_URL="redis+cluster://' + Array(33).fill('h:1').join(',') + '": names 33 hosts; at most 32']);
  });

  it('refuses a CA file that holds no certificate', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'ty-ca-')), 'ca.pem');
    await writeFile(file, 'not a certificate');
    expect(problemsOf({ REDIS_URL: 'rediss://a', REDIS_TLS_CA_FILE: file })).toEqual([
      `REDIS_TLS_CA_FILE=${JSON.stringify(file)}: holds no PEM certificate`,
    ]);
  });

  it('never shows a password in the URL it quotes or the topology it logs', () => {
    const problems = problemsOf({ REDIS_URL: 'redis://user:hunter2@a:1,b:2' });
    expect(problems.join('\n')).not.toContain('hunter2');
    const t = parseRedisTarget(
      settings({ REDIS_URL: 'redis+sentinel://u:hunter2@s1:26379/m', REDIS_SENTINEL_PASSWORD: 'x' }),
    );
    expect(JSON.stringify(describeTarget(t))).not.toContain('hunter2');
    expect(describeTarget(t)).toEqual({
      mode: 'sentinel',
      master: 'm',
      sentinels: ['s1:26379'],
      db: 0,
      tls: false,
      user: 'u',
    });
  });

  it('masks passwords holding @ or /, and a URL the schema refuses, in every message', () => {
    expect(redactUrl('redis://:p@ss-word@127.0.0.1:1')).toBe('redis://***@127.0.0.1:1');
    expect(redactUrl('redis://u:pa/ss@h:6379/2')).toBe('redis://***@h:6379/2');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
    for (const url of ['Redis://:hunter2@h:6379', 'redis-sentinel://u:hunter2@s:26379/m', 'redis://:p@hunter2/x@h:1']) {
      const message = (() => {
        try {
          loadConfig({ REDIS_URL: url });
          return '';
        } catch (err) {
          return (err as Error).message;
        }
      })();
      expect(message).not.toContain('hunter2');
    }
  });

  it('gives a cluster the hash-tag prefix by default, and checks the forms at start-up', () => {
    expect(loadConfig({ REDIS_URL: 'redis+cluster://h:7000' }).QUEUE_PREFIX).toBe('{trainyard}');
    expect(loadConfig({ REDIS_URL: 'redis://h:7000' }).QUEUE_PREFIX).toBe('trainyard');
    expect(() => loadConfig({ REDIS_URL: 'redis+cluster://h:7000', QUEUE_PREFIX: 'plain' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: 'redis+sentinel://h' })).toThrow(/master name Sentinel watches/);
  });
});
