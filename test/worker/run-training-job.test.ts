import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createModelRegistry } from '../../src/registry/registry.js';
import type { Config } from '../../src/config.js';
import { createCheckpointStore } from '../../src/models/checkpoints.js';
import { createModelStore } from '../../src/models/store.js';
import { TrainingJobDataSchema, type Progress } from '../../src/schemas/job.js';
import { initBackend } from '../../src/training/backend.js';
import { DEFAULT_PARAMS } from '../../src/training/params.js';
import {
  PermanentJobError,
  createJobDataChecker,
  runTrainingJob,
  type TrainingDeps,
} from '../../src/worker/run-training-job.js';
import { testConfig } from '../helpers/app.js';
import { datasetStoreFromConfig, storageFromConfig } from '../../src/stores.js';

/** The worker's job runner with real stores on disk and the real trainer, in this process. */
describe('a training job under its budgets', () => {
  let config: Config;
  let deps: TrainingDeps;
  let models: ReturnType<typeof createModelStore>;
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    config = await testConfig({ JOB_TIMEOUT_SECONDS: '600' });
    const storage = storageFromConfig(config);
    await initBackend('wasm');
    models = createModelStore({ storage });
    deps = {
      backend: 'wasm',
      datasets: datasetStoreFromConfig(config, storage),
      models,
      checkpoints: createCheckpointStore({ storage }),
      registry: createModelRegistry(redis, config.QUEUE_PREFIX),
      checkData: createJobDataChecker(TrainingJobDataSchema),
      limits: config,
    };
  });
  afterAll(async () => {
    redis.disconnect();
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  /** Runs job `id` with these data; returns its outcome and every run time it recorded. */
  async function run(id: string, data: Record<string, unknown>) {
    const recorded: number[] = [];
    const progress: Progress[] = [];
    const job = {
      id,
      data: { name: id, dataset: 'mnist-sample', ...data },
      updateProgress: async (p: Progress) => void progress.push(structuredClone(p)),
      recordRunTime: async (ms: number) => void recorded.push(ms),
    };
    const outcome = await runTrainingJob(job, deps).then(
      (result) => ({ result, error: undefined }),
      (error: unknown) => ({ result: undefined, error: error as Error }),
    );
    return { ...outcome, recorded, progress };
  }

  it('fails for good past its run-time limit: no model, no checkpoint; the next job trains', async () => {
    const slow = await run('timeout-1', {
      params: { ...DEFAULT_PARAMS, seed: 1, epochs: 100 },
      timeoutSeconds: 1,
    });
    expect(slow.error).toBeInstanceOf(PermanentJobError);
    expect(slow.error!.message).toBe('exceeded its run-time limit of 1 s');
    expect(slow.recorded.at(-1)).toBeGreaterThanOrEqual(1000);
    expect(slow.progress.length).toBeLessThan(100);
    expect(await deps.checkpoints.load('timeout-1')).toBeUndefined();
    await expect(models.get('timeout-1')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });

    const next = await run('after-timeout', { params: { ...DEFAULT_PARAMS, seed: 1, epochs: 1 }, timeoutSeconds: 60 });
    expect(next.error).toBeUndefined();
    expect(next.result!.modelId).toBe('after-timeout');
    expect(next.result!.metrics.testAccuracy).toBeGreaterThan(0.5);
  });

  it('continues the clock of earlier attempts: a job that used its limit fails at once', async () => {
    const spent = await run('timeout-spent', {
      params: { ...DEFAULT_PARAMS, seed: 1, epochs: 1 },
      timeoutSeconds: 30,
      runMs: 30_000,
    });
    expect(spent.error).toBeInstanceOf(PermanentJobError);
    expect(spent.error!.message).toBe('exceeded its run-time limit of 30 s');
    expect(spent.progress).toEqual([]);
  });

  it("holds a job to the worker's JOB_TIMEOUT_SECONDS when it asks for more", async () => {
    const greedy = await run('timeout-greedy', {
      params: { ...DEFAULT_PARAMS, seed: 1, epochs: 1 },
      timeoutSeconds: 86_400,
      runMs: 600_000,
    });
    expect(greedy.error!.message).toBe('exceeded its run-time limit of 600 s');
  });

  it.each([
    ['a network past MAX_MODEL_PARAMS', { hiddenLayers: Array(8).fill(2048), batchSize: 1 }, /\(MAX_MODEL_PARAMS\)/],
    ['a batch past MAX_BATCH_UNITS', { hiddenLayers: [1024, 1024], batchSize: 4096 }, /\(MAX_BATCH_UNITS\)/],
  ])('refuses for good %s queued without the API', async (_, over, message) => {
    const big = await run('too-big', { params: { ...DEFAULT_PARAMS, seed: 1, ...over } });
    expect(big.error).toBeInstanceOf(PermanentJobError);
    expect(big.error!.message).toMatch(message);
    expect(big.progress).toEqual([]);
  });
});
