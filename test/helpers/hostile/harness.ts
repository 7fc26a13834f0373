import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createModelStore } from '../../../src/models/store.js';
import { createFsStorage } from '../../../src/storage/fs.js';
import { freePort } from '../net.js';
import { storeTrainedModel } from '../model.js';
import { send } from './send.js';
import { isCustom, type CaseFile, type HostileCase, type HostileContext, type Target } from './types.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const casesDir = fileURLToPath(new URL('../../hostile/cases/', import.meta.url));

/** Every case file under cases/, in name order, with the file it came from. */
export async function loadCorpus(): Promise<{ file: string; env: Record<string, string>; cases: HostileCase[] }[]> {
  const files = (await readdir(casesDir)).filter((f) => f.endsWith('.ts')).sort();
  return Promise.all(
    files.map(async (file) => {
      const mod = (await import(pathToFileURL(join(casesDir, file)).href)) as { default: CaseFile };
      return { file, env: mod.default.env ?? {}, cases: mod.default.cases };
    }),
  );
}

export interface ApiUnderAttack {
  proc: ChildProcess;
  url: string;
  output(): string;
  alive(): boolean;
}

export interface Arena {
  /** One API with keys, one running open, sharing a DATA_DIR that holds one trained model. */
  apis: Record<Target, ApiUnderAttack>;
  keys: HostileContext['keys'];
  modelId: string;
  dataDir: string;
  /** A case's view of one API; `set` picks one of the arena's sets of keys (the first by default). */
  context(target: Target, set?: number): HostileContext;
  close(): Promise<void>;
}

/**
 * Starts the two API processes from dist/ against the given Redis, with the settings every
 * case file asked for on top of `env`. Rate budgets are generous so that one case's requests
 * do not use up another's; cases that test a budget bring keys or settings of their own.
 */
export async function startArena(
  redisUrl: string,
  env: Record<string, string> = {},
  /** Sets of keys: the bench's attackers each take one, as separate clients would have their own. */
  keySets = 1,
): Promise<Arena> {
  const dataDir = await mkdtemp(join(tmpdir(), 'trainyard-hostile-'));
  const prefix = `ty-hostile-${randomBytes(4).toString('hex')}`;
  const sets = Array.from({ length: keySets }, () => ({
    train: `train-${randomBytes(12).toString('hex')}`,
    predict: `predict-${randomBytes(12).toString('hex')}`,
    otherTrain: `other-${randomBytes(12).toString('hex')}`,
    admin: `admin-${randomBytes(12).toString('hex')}`,
  }));
  const keys = sets[0]!;
  const model = await storeTrainedModel({ models: createModelStore({ storage: createFsStorage({ dir: dataDir }) }) });
  const base: Record<string, string> = {
    REDIS_URL: redisUrl,
    DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    TRAINING_BACKEND: 'wasm',
    HOST: '127.0.0.1',
    RATE_LIMIT_PREDICT_PER_MINUTE: '100000',
    RATE_LIMIT_TRAIN_PER_MINUTE: '1000',
    MAX_QUEUED_JOBS_PER_KEY: '20',
    WORKER_METRICS_PORT: '0',
    ...env,
  };
  const [keyed, open] = await Promise.all([
    startApi({
      ...base,
      API_KEYS: sets
        .map((k) => `${k.train}:train,${k.predict}:predict,${k.otherTrain}:train,${k.admin}:admin:ops`)
        .join(','),
    }),
    startApi(base),
  ]);
  const apis = { keyed, open };
  return {
    apis,
    keys,
    modelId: model.id,
    dataDir,
    context: (target, set = 0) => ({ url: apis[target].url, keys: sets[set] ?? keys, modelId: model.id }),
    async close() {
      await Promise.all(Object.values(apis).map(stop));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startApi(env: Record<string, string>): Promise<ApiUnderAttack> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['dist/server.js'], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (d: Buffer) => {
    out += d.toString();
    if (out.length > 400_000) out = out.slice(-200_000); // the tail is what a failure needs
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  // Ready when /healthz answers, whatever LOG_LEVEL the caller chose (the bench keeps it quiet).
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the API exited:\n${out}`);
    if (Date.now() > deadline) throw new Error(`the API did not start:\n${out}`);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    alive: () => proc.exitCode === null && proc.signalCode === null,
  };
}

function stop(api: ApiUnderAttack): Promise<void> {
  if (!api.alive()) return Promise.resolve();
  return new Promise((resolve) => {
    api.proc.once('exit', () => resolve());
    api.proc.kill('SIGTERM');
    setTimeout(() => api.proc.kill('SIGKILL'), 10_000).unref();
  });
}

/**
 * Asks `/healthz` over and over, one request at a time, until stopped: what a load balancer's
 * probe would see while a case runs. Each probe may wait up to `timeoutMs`.
 */
export function probeHealth(url: string, timeoutMs = 5000): { stop(): Promise<number[]> } {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await send(
        { url, keys: { train: '', predict: '', otherTrain: '', admin: '' }, modelId: '' },
        {
          method: 'GET',
          path: '/healthz',
        },
        timeoutMs,
      );
      statuses.push(res.status);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return statuses;
    },
  };
}

/** Runs one case, request or custom, and returns the answer of a request case (undefined for custom ones). */
export async function runCase(c: HostileCase, ctx: HostileContext) {
  if (isCustom(c)) {
    await c.run(ctx);
    return undefined;
  }
  return send(ctx, await c.request(ctx));
}
