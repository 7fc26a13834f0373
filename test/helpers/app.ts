import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { inject } from 'vitest';
import { buildApp, type AppDeps } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createApiDeps } from '../../src/runtime.js';

/**
 * A configuration for one test file: the suite's Redis, a private DATA_DIR and a private
 * queue prefix, so files running in parallel never see each other's jobs or models.
 */
export async function testConfig(env: Record<string, string> = {}): Promise<Config> {
  const dataDir = await mkdtemp(join(tmpdir(), 'trainyard-test-'));
  return loadConfig({
    REDIS_URL: inject('redisUrl'),
    DATA_DIR: dataDir,
    QUEUE_PREFIX: `ty-test-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'silent',
    TRAINING_BACKEND: 'wasm',
    // Route tests send far more than a client's budget; the limits have tests of their own.
    RATE_LIMIT_PREDICT_PER_MINUTE: '0',
    RATE_LIMIT_TRAIN_PER_MINUTE: '0',
    MAX_QUEUED_JOBS_PER_KEY: '0',
    MAX_RUNNING_JOBS_PER_KEY: '0',
    RATE_LIMIT_READ_PER_MINUTE: '0',
    AUTH_FAILURES_PER_MINUTE: '0',
    // Several workers run at once in some tests; the metrics port has a test of its own.
    WORKER_METRICS_PORT: '0',
    ...env,
  });
}

export interface TestApp {
  app: FastifyInstance;
  deps: AppDeps;
  config: Config;
  close(): Promise<void>;
}

/** The real app with real dependencies (Redis, files), for fastify.inject. */
export function buildTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  return build(env, { logger: false });
}

/** The real app with an info-level logger whose lines (JSON text) collect in `lines`. */
export async function buildLoggedTestApp(env: Record<string, string> = {}): Promise<TestApp & { lines: string[] }> {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().trim().split('\n'));
      done();
    },
  });
  return { ...(await build(env, { loggerInstance: pino({ level: 'info' }, stream) })), lines };
}

async function build(env: Record<string, string>, options: Parameters<typeof buildApp>[1]): Promise<TestApp> {
  const config = await testConfig(env);
  const { deps, close } = await createApiDeps(config);
  const app = await buildApp(deps, options);
  await app.ready();
  return {
    app,
    deps,
    config,
    async close() {
      await app.close();
      await close();
      await rm(config.DATA_DIR, { recursive: true, force: true });
    },
  };
}
