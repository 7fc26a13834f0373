/**
 * npm run bench [-- --full] [-- --training]
 *
 * Measures, in one run on this machine: training throughput and accuracy of jobs run through
 * the service (one job, then two at once) on the native backend and on wasm, time from POST to
 * the first training step on a warm worker, worker and API memory, predict requests/s and
 * latency under wrk, V2 infer (JSON and binary) beside /v1/predict, GET latency while two jobs train, the import of a ZIP of
 * 70,000 PNG files — beside the PyTorch and FastAPI anchors
 * when they are installed, and the floors as met or not.
 * Quick (default, about three minutes): 1 epoch, 10 s load runs. Full (about eight): 5 epochs, 30 s load runs.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { freePort, hasCommand, serviceAllocator, start, waitHttp, type Proc, type Row } from './lib.js';
import { attackRows, underAttack } from './under-attack.js';
import { benchAnchors, hasTorch as torchInstalled, python } from './anchors.js';
import { benchBackends } from './training.js';
import { benchThreads } from './native-threads.js';
import { benchPredict, type PredictFigures } from './predict.js';
import { floors } from './floors.js';
import { benchV2, type V2Figures } from './v2.js';
import { benchImport } from './import.js';

const full = process.argv.includes('--full');
/** `--training`: the training part alone (backends, threads, PyTorch anchors and their floors). */
const trainingOnly = process.argv.includes('--training');
const EPOCHS = full ? 5 : 1;
const LOAD_SECONDS = full ? 30 : 10;
const root = resolve(import.meta.dirname, '..');
const anchors = resolve(process.env.ANCHORS_DIR ?? join(root, '..', 'shared', 'anchors'));
const fashionDir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const dataset = existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz')) ? 'fashion-mnist' : 'mnist-sample';
const hasTorch = torchInstalled(anchors);
const hasFastapi = hasTorch && spawnSync(python, ['-c', 'import fastapi, uvicorn, PIL']).status === 0;

const rows: Row[] = [];
const row = (what: string, value: string, vs = '') => {
  rows.push([what, value, vs]);
  console.error(`  ${what}: ${value} ${vs}`);
};

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'trainyard-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const allocator = serviceAllocator();
  const env = {
    PORT: String(port),
    DATA_DIR: work,
    QUEUE_PREFIX: `bench-${process.pid}`,
    WORKER_CONCURRENCY: '2',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    // The FastAPI anchor has no rate limiter: predictions are compared without ours, and its
    // cost is measured on its own below, on a second API process with the limiter on.
    RATE_LIMIT_PREDICT_PER_MINUTE: '0',
    // The bench polls jobs far faster than any client should (it times their start).
    RATE_LIMIT_READ_PER_MINUTE: '0',
    WORKER_METRICS_PORT: '0',
    ...allocator.env,
  };
  console.error(
    `bench (${full ? 'full' : 'quick'}): ${dataset}, ${EPOCHS} epoch(s), ${cpus().length} cores, service allocator ${allocator.name}`,
  );
  const procs: Proc[] = [];
  try {
    const api = await start(process.execPath, ['dist/server.js'], env, '', root);
    procs.push(api);
    await waitHttp(`${base}/healthz`);

    const trained = await benchBackends({ base, env, root, dataset, epochs: EPOCHS, work, procs, row });
    if (trained.native) await benchThreads(row);
    const { best, blasName } = benchAnchors({ anchors, hasTorch, fashionDir, dataset, epochs: EPOCHS, trained, row });

    let predicted: PredictFigures | undefined;
    let v2: V2Figures | undefined;
    if (trainingOnly) {
      row('predictions, protocols, attack, import', 'skipped', '(--training)');
    } else if (hasCommand('wrk')) {
      predicted = await benchPredict({
        base,
        apiPid: api.child.pid!,
        env,
        work,
        root,
        anchors: hasFastapi ? anchors : undefined,
        seconds: LOAD_SECONDS,
        procs,
      });
      for (const r of predicted.rows) row(...r);
      v2 = await benchV2({ base, work, seconds: LOAD_SECONDS });
      for (const r of v2.rows) row(...r);
      const attack = await underAttack({ work, png: predicted.png, seconds: LOAD_SECONDS });
      for (const r of attackRows(attack, predicted.fastapi?.rps)) row(...r);
    } else {
      row('predict load', 'skipped', '(wrk not installed)');
    }
    floors({ trained, best, blasName, predicted, v2, dataset, row });
    if (!trainingOnly) await benchImport({ base, env, root, work, fashionDir, procs, row });
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `\n| measured (${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ${full ? 'full' : 'quick'} run) | value | compared |`,
  );
  console.log('|---|---|---|');
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
}

await main();
