import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('fills the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATA_DIR: './data',
      TRAINING_BACKEND: 'auto',
      WORKER_CONCURRENCY: 1,
      MAX_UPLOAD_BYTES: 10 * 1024 * 1024,
      MAX_BATCH: 256,
      JOB_RETENTION_DAYS: 7,
      API_HEAP_GROWTH_PERCENT: 25,
    });
  });

  it('converts numbers and keeps given values', () => {
    const c = loadConfig({ PORT: '8080', WORKER_CONCURRENCY: '2', TRAINING_BACKEND: 'cpu' });
    expect([c.PORT, c.WORKER_CONCURRENCY, c.TRAINING_BACKEND]).toEqual([8080, 2, 'cpu']);
  });

  it('names every bad value in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', TRAINING_BACKEND: 'gpu', REDIS_URL: 'localhost:6379', MAX_BATCH: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT="abc"', 'TRAINING_BACKEND="gpu"', 'REDIS_URL="localhost:6379"', 'MAX_BATCH="0"']) {
      expect(message).toContain(name);
    }
  });
});
