import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { nativeUnavailable } from '../../src/native/addon.js';
import { testConfig } from '../helpers/app.js';
import { startApi, startProcess, startWorker, waitFor, type RunningProcess } from '../helpers/processes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Skipped only where `npm run build` could not build the addon (no compiler or libopenblas-dev).
const why = nativeUnavailable();

/** Submits a job over HTTP and waits for its end. */
async function trainOver(base: string, body: object): Promise<TrainingJob> {
  const res = await fetch(`${base}/v1/training-jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as TrainingJob;
  return waitFor(async () => {
    const job = (await (await fetch(`${base}/v1/training-jobs/${id}`)).json()) as TrainingJob;
    return job.state === 'completed' || job.state === 'failed' ? job : undefined;
  }, 120_000);
}

const portOf = () => 30000 + Math.floor(Math.random() * 20000);

describe.skipIf(why !== undefined)(`the service on the native backend${why ? ` (skipped: ${why})` : ''}`, () => {
  let config: Config;
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;

  beforeAll(async () => {
    config = { ...(await testConfig()), PORT: portOf() };
    base = `http://127.0.0.1:${config.PORT}`;
    // auto: the addon is what it picks first.
    const env = { TRAINING_BACKEND: 'auto' };
    [api, worker] = await Promise.all([startApi(config, env), startWorker(config, env)]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it('says so at start-up and in readiness, and records it in the model it trains', async () => {
    expect(worker.output()).toMatch(/"backend":"native".*trainyard worker started/);
    expect(worker.output()).not.toContain('native training unavailable');
    const ready = await (await fetch(`${base}/readyz`)).json();
    expect(ready).toEqual({ status: 'ready', redis: 'ok', storage: 'ok', backend: 'native' });
    const job = await trainOver(base, { epochs: 2, seed: 3 });
    expect(job.error).toBeNull();
    expect(job.state).toBe('completed');
    expect(job.progress.history[1]!.loss).toBeLessThan(job.progress.history[0]!.loss);
    expect(job.metrics!.testAccuracy).toBeGreaterThan(0.8);
    const model = (await (await fetch(`${base}/v1/models/${job.modelId}`)).json()) as { backend: string };
    expect(model.backend).toBe('native');
    // An ordinary tfjs layers model, served by the API's tfjs backend.
    const predicted = await fetch(`${base}/v1/models/${job.modelId}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [new Array(784).fill(0)] }),
    });
    expect(predicted.status).toBe(200);
    const body = (await predicted.json()) as { predictions: { probabilities: number[] }[] };
    expect(body.predictions[0]!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });
});

describe('an installation without the addon', () => {
  let install: string;
  let config: Config;

  beforeAll(async () => {
    // This checkout's build without native/: what `npm ci` gives on a machine without a compiler.
    install = await mkdtemp(join(tmpdir(), 'trainyard-no-native-'));
    await cp(join(root, 'dist'), join(install, 'dist'), { recursive: true });
    await cp(join(root, 'package.json'), join(install, 'package.json'));
    await symlink(join(root, 'node_modules'), join(install, 'node_modules'));
    config = { ...(await testConfig()), PORT: portOf() };
  });

  afterAll(async () => {
    await rm(install, { recursive: true, force: true });
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  it('trains on wasm and says why in one log line', async () => {
    const worker = await startProcess(
      'worker/main.js',
      config,
      'trainyard worker started',
      { TRAINING_BACKEND: 'auto' },
      install,
    );
    const api = await startProcess(
      'server.js',
      config,
      'trainyard api listening',
      { TRAINING_BACKEND: 'auto' },
      install,
    );
    try {
      const lines = worker
        .output()
        .split('\n')
        .filter((l) => l.includes('native training unavailable'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('training on wasm: addon not built');
      expect(worker.output()).toMatch(/"backend":"wasm".*trainyard worker started/);
      const job = await trainOver(`http://127.0.0.1:${config.PORT}`, { epochs: 1, seed: 3 });
      expect(job.state).toBe('completed');
      const model = (await (await fetch(`http://127.0.0.1:${config.PORT}/v1/models/${job.modelId}`)).json()) as {
        backend: string;
      };
      expect(model.backend).toBe('wasm');
    } finally {
      await Promise.all([worker.stop(), api.stop()]);
    }
  });
});
