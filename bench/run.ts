/**
 * npm run bench [-- --full]
 *
 * Measures, in one run on this machine: training throughput and accuracy of jobs run through
 * the service (one job, then two at once), time from POST to the first training step on a
 * warm worker, worker and API memory, predict requests/s and latency under wrk, GET latency
 * while two jobs train — beside the PyTorch and FastAPI anchors when they are installed.
 * Quick (default, about two minutes): 1 epoch, 10 s load runs. Full (about five): 5 epochs, 30 s load runs.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import type { TrainingJob } from '../src/schemas/job.js';
import {
  childPids,
  fmt,
  freePort,
  hasCommand,
  postScript,
  rssMb,
  sampleRss,
  sleep,
  start,
  waitHttp,
  wrk,
  type Proc,
} from './lib.js';
import { attackRows, underAttack } from './under-attack.js';

const full = process.argv.includes('--full');
const EPOCHS = full ? 5 : 1;
const LOAD_SECONDS = full ? 30 : 10;
const root = resolve(import.meta.dirname, '..');
const anchors = resolve(process.env.ANCHORS_DIR ?? join(root, '..', 'shared', 'anchors'));
const fashionDir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const dataset = existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz')) ? 'fashion-mnist' : 'mnist-sample';
const python = '/usr/bin/python3';
const hasTorch = existsSync(anchors) && spawnSync(python, ['-c', 'import torch']).status === 0;
const hasFastapi = hasTorch && spawnSync(python, ['-c', 'import fastapi, uvicorn, PIL']).status === 0;

const rows: [string, string, string][] = [];
const row = (what: string, value: string, vs = '') => {
  rows.push([what, value, vs]);
  console.error(`  ${what}: ${value} ${vs}`);
};

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'trainyard-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
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
  };
  console.error(`bench (${full ? 'full' : 'quick'}): ${dataset}, ${EPOCHS} epoch(s), ${cpus().length} cores`);
  const procs: Proc[] = [];
  try {
    const api = await start(process.execPath, ['dist/server.js'], env, '', root);
    procs.push(api);
    await waitHttp(`${base}/healthz`);
    const worker = await start(
      process.execPath,
      ['dist/worker/main.js'],
      { ...env, LOG_LEVEL: 'info' },
      'worker started',
      root,
    );
    procs.push(worker);

    // One job, alone on the machine (its trainer process is forked for it: a cold start).
    const single = await trainJob(base, { dataset, epochs: EPOCHS, seed: 1 }, worker.child.pid!);
    row('worker peak RSS while training (MB)', fmt(single.peakRss), '(forked trainer process)');

    // Warm worker: the dataset is parsed already; how long from POST until the first step?
    const warm = await trainJob(base, { dataset, epochs: 1, seed: 2 }, worker.child.pid!);
    row('POST → first training step, warm worker (ms)', fmt(warm.startLatencyMs));

    // Two jobs at once on the two cores, twice. The first pair, which also forks the second
    // trainer process, runs while a client reads a job's resource 50 times a second, as a busy
    // dashboard would: the API's latency meanwhile. wrk measures it (a bench process polling two
    // jobs would add its own pauses), from 1 s after the POSTs until 80 % of one job's time alone.
    const polled = Promise.all(
      [3, 4].map((seed) => trainJob(base, { dataset, epochs: EPOCHS, seed }, worker.child.pid!)),
    );
    await sleep(1000);
    const jobs = (await (await fetch(`${base}/v1/training-jobs?state=running`)).json()) as { items: TrainingJob[] };
    const script = join(work, 'poll.lua');
    writeFileSync(script, 'function delay()\n  return 20\nend\n');
    const poll =
      jobs.items[0] && hasCommand('wrk')
        ? await wrk(`${base}/v1/training-jobs/${jobs.items[0].id}`, {
            connections: 1,
            threads: 1,
            seconds: Math.max(2, Math.floor(single.trainingSeconds * 0.8) - 1),
            script,
          })
        : undefined;
    const withPoller = sum(await polled);
    // The second pair runs under the same conditions as the one-job runs: throughput.
    const pair = sum(
      await Promise.all([5, 6].map((seed) => trainJob(base, { dataset, epochs: EPOCHS, seed }, worker.child.pid!))),
    );
    // The one-job figure brackets the pairs: one run before them, one after, on a warm trainer.
    const again = await trainJob(base, { dataset, epochs: EPOCHS, seed: 1 }, worker.child.pid!);
    const oneJob = (single.samplesPerSecond + again.samplesPerSecond) / 2;
    row(
      'training samples/s, 1 job (service, wasm)',
      fmt(oneJob),
      `test accuracy ${pct(single.accuracy)}; mean of ${fmt(single.samplesPerSecond)} (before the pairs) and ${fmt(again.samplesPerSecond)} (after)`,
    );
    row('training samples/s, 2 jobs at once (sum)', fmt(pair), `${fmt(pair / oneJob, 2)}× one job`);
    row(
      'the same while a client polls a job 50 times a second',
      fmt(withPoller),
      `${fmt(withPoller / oneJob, 2)}× one job`,
    );
    row(
      'GET /v1/training-jobs/{id} p99 meanwhile (ms)',
      fmt(poll?.p99 ?? NaN, 1),
      poll
        ? `p50 ${fmt(poll.p50, 1)} ms, ${poll.requests} requests, ${poll.errors} errors`
        : hasCommand('wrk')
          ? '(no running job found)'
          : '(wrk not installed)',
    );

    // PyTorch anchors, same data, same machine, run after ours so they do not overlap.
    if (hasTorch && dataset === 'fashion-mnist') {
      const careful = anchor('careful_train.py', ['--threads', '1', '--epochs', String(EPOCHS), '--data', fashionDir]);
      row(
        'PyTorch careful script, 1 thread',
        fmt(careful.sps),
        `${fmt(oneJob / careful.sps, 2)}× → service; accuracy ${careful.acc}%`,
      );
      const seed = anchor('seed_train.py', [fashionDir, String(EPOCHS)]);
      row('PyTorch tutorial script', fmt(seed.sps), `${fmt(oneJob / seed.sps, 2)}× → service; accuracy ${seed.acc}%`);
    } else {
      row('PyTorch anchors', 'skipped', hasTorch ? '(needs fashion-mnist)' : '(python3-torch not installed)');
    }

    // Predictions: one 28×28 PNG per request, 32 connections.
    if (hasCommand('wrk')) {
      const png = join(work, 'digit.png');
      const pixels = Buffer.alloc(784);
      for (let y = 6; y < 22; y++) for (let x = 12; x < 16; x++) pixels[y * 28 + x] = 255;
      writeFileSync(
        png,
        await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
          .png()
          .toBuffer(),
      );
      const script = join(work, 'png.lua');
      writeFileSync(script, postScript(png, 'image/png'));
      const apiPid = api.child.pid!;
      // Warm-up: model load, JIT, the heap growing to its working size.
      await wrk(`${base}/v1/predict`, { connections: 32, seconds: Math.ceil(LOAD_SECONDS / 3), script });
      const tensorsBefore = await tensors(base);
      const rss = sampleRss(apiPid);
      const ours = await wrk(`${base}/v1/predict`, { connections: 32, seconds: LOAD_SECONDS, script });
      const rssSamples = rss.stop();
      row(
        'predict req/s, 1 PNG per request, 32 connections',
        fmt(ours.rps),
        `p50 ${fmt(ours.p50, 1)} ms, p99 ${fmt(ours.p99, 1)} ms, errors ${ours.errors}`,
      );
      // Sampled each second: one reading lands anywhere on the garbage collector's sawtooth.
      const third = Math.max(1, Math.floor(rssSamples.length / 3));
      row(
        'API RSS over the predict run, first third → last third (MB, median)',
        `${fmt(median(rssSamples.slice(0, third)))} → ${fmt(median(rssSamples.slice(-third)))}`,
        `${ours.requests} predictions; range ${fmt(Math.min(...rssSamples))}–${fmt(Math.max(...rssSamples))} MB`,
      );
      row('API tensors before → after the predict run', `${tensorsBefore} → ${await tensors(base)}`);
      // The same load on an API replica with the predict rate limiter on (a budget far above what
      // the machine serves): every prediction then pays a Redis round trip.
      const limitedPort = await freePort();
      const limited = await start(
        process.execPath,
        ['dist/server.js'],
        { ...env, PORT: String(limitedPort), RATE_LIMIT_PREDICT_PER_MINUTE: '10000000' },
        '',
        root,
      );
      procs.push(limited);
      await waitHttp(`http://127.0.0.1:${limitedPort}/healthz`);
      const limitedUrl = `http://127.0.0.1:${limitedPort}/v1/predict`;
      await wrk(limitedUrl, { connections: 32, seconds: Math.ceil(LOAD_SECONDS / 3), script });
      const withLimiter = await wrk(limitedUrl, { connections: 32, seconds: LOAD_SECONDS, script });
      row(
        'predict req/s with the rate limiter on',
        fmt(withLimiter.rps),
        `p50 ${fmt(withLimiter.p50, 1)} ms, p99 ${fmt(withLimiter.p99, 1)} ms; ${fmt(withLimiter.rps / ours.rps, 2)}× without`,
      );
      let fastapi: { rps: number; p99: number } | undefined;
      if (hasFastapi) {
        fastapi = await fastapiAnchor(script);
        row(
          'FastAPI + PyTorch anchor, same load',
          fmt(fastapi.rps),
          `p99 ${fmt(fastapi.p99, 1)} ms; service ${fmt(ours.rps / fastapi.rps, 2)}×`,
        );
      }
      const attack = await underAttack({ work, png, seconds: LOAD_SECONDS });
      for (const r of attackRows(attack, fastapi?.rps)) row(...r);
    } else {
      row('predict load', 'skipped', '(wrk not installed)');
    }
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

interface JobFigures {
  samplesPerSecond: number;
  /** Seconds spent in training epochs. */
  trainingSeconds: number;
  accuracy: number;
  startLatencyMs: number;
  peakRss: number;
}

/** Submits a job and polls it to the end, as a client would, sampling the trainer's memory. */
async function trainJob(base: string, body: object, workerPid: number): Promise<JobFigures> {
  const posted = performance.now();
  const res = await fetch(`${base}/v1/training-jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST /v1/training-jobs → ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as TrainingJob;
  let firstEpochSeen = NaN;
  let peakRss = 0;
  let lastSample = 0;
  for (;;) {
    const job = (await (await fetch(`${base}/v1/training-jobs/${id}`)).json()) as TrainingJob;
    // Memory is sampled twice a second, from /proc.
    if (performance.now() - lastSample > 500) {
      for (const pid of childPids(workerPid)) peakRss = Math.max(peakRss, rssMb(pid));
      lastSample = performance.now();
    }
    if (Number.isNaN(firstEpochSeen) && job.progress.history.length > 0) firstEpochSeen = performance.now();
    if (job.state === 'failed') throw new Error(`job failed: ${job.error?.message}`);
    if (job.state === 'completed') {
      const seconds = job.progress.history.reduce((s, h) => s + h.seconds, 0);
      const trainSize = Number(job.progress.samplesPerSecond) * job.progress.history.at(-1)!.seconds;
      return {
        samplesPerSecond: (trainSize * job.progress.history.length) / seconds,
        trainingSeconds: seconds,
        accuracy: job.metrics!.testAccuracy,
        startLatencyMs: firstEpochSeen - posted - job.progress.history[0]!.seconds * 1000,
        peakRss,
      };
    }
    // Until the first epoch shows, poll often (it times the start); then as a dashboard would.
    await sleep(Number.isNaN(firstEpochSeen) ? 20 : 250);
  }
}

function anchor(script: string, args: string[]): { sps: number; acc: string } {
  const out = spawnSync(python, [join(anchors, script), ...args], { cwd: anchors, encoding: 'utf8' });
  const m = out.stdout.match(/samples_per_s=([\d.]+) test_accuracy=([\d.]+)%/);
  if (!m) throw new Error(`${script} printed no result:\n${out.stdout}\n${out.stderr}`);
  return { sps: Number(m[1]), acc: m[2]! };
}

async function fastapiAnchor(script: string) {
  const port = await freePort();
  const server = await start(
    python,
    ['-m', 'uvicorn', '--app-dir', anchors, 'serve_fastapi:app', '--port', String(port), '--log-level', 'warning'],
    {},
    '',
    anchors,
  );
  try {
    await waitHttp(`http://127.0.0.1:${port}/docs`);
    await wrk(`http://127.0.0.1:${port}/predict`, { connections: 32, seconds: 2, script });
    return await wrk(`http://127.0.0.1:${port}/predict`, { connections: 32, seconds: LOAD_SECONDS, script });
  } finally {
    await server.stop();
  }
}

/** Live TensorFlow.js tensors in the API process, from its metrics. */
async function tensors(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^trainyard_tensors (\d+)$/m.exec(text)?.[1] ?? NaN);
}

const sum = (jobs: JobFigures[]) => jobs.reduce((s, j) => s + j.samplesPerSecond, 0);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

await main();
