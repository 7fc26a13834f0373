/**
 * The training part of `npm run bench`: jobs submitted over HTTP to a real worker and polled to
 * the end (samples/s from the epochs' own timings, test accuracy from the stored model's
 * metrics), one job alone and two at once, sampling the trainer processes' memory.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainingJob } from '../src/schemas/job.js';
import {
  childPids,
  fmt,
  hasCommand,
  pct,
  rssMb,
  sleep,
  start,
  wrk,
  type LoadResult,
  type Proc,
  type Report,
} from './lib.js';

export interface JobFigures {
  samplesPerSecond: number;
  /** Seconds spent in training epochs. */
  trainingSeconds: number;
  accuracy: number;
  startLatencyMs: number;
  peakRss: number;
}

export interface TrainingFigures {
  /** Mean of one job before the pairs and one after. */
  oneJob: number;
  first: JobFigures;
  again: JobFigures;
  warm: JobFigures;
  /** Sum of two jobs at once. */
  pair: number;
  /** The same while a client polls a job 50 times a second (first pair), when measured. */
  withPoller?: number;
  poll?: LoadResult;
  peakRss: number;
}

export type Backend = 'native' | 'wasm';
export type TrainedFigures = Partial<Record<Backend, TrainingFigures>>;

/**
 * The same jobs on each backend, one worker at a time (a backend whose worker does not start is
 * skipped); the GET latency while two jobs train is measured on the first.
 */
export async function benchBackends(opts: {
  base: string;
  env: Record<string, string>;
  root: string;
  dataset: string;
  epochs: number;
  work: string;
  procs: Proc[];
  row: Report;
}): Promise<TrainedFigures> {
  const { base, env, root, row } = opts;
  const trained: TrainedFigures = {};
  for (const backend of ['native', 'wasm'] as const) {
    const worker = await start(
      process.execPath,
      ['dist/worker/main.js'],
      { ...env, LOG_LEVEL: 'info', TRAINING_BACKEND: backend },
      'worker started',
      root,
    ).catch((err: Error) => {
      row(
        `training on ${backend}`,
        'skipped',
        `(${err.message.split('\n').find((l) => /not usable/.test(l)) ?? 'worker did not start'})`,
      );
      return undefined;
    });
    if (!worker) continue;
    opts.procs.push(worker);
    const t = await benchTraining({
      base,
      workerPid: worker.child.pid!,
      dataset: opts.dataset,
      epochs: opts.epochs,
      work: opts.work,
      poll: backend === 'native',
    });
    trained[backend] = t;
    await worker.stop();
    trainingRows(t, backend, row);
  }
  return trained;
}

function trainingRows(t: TrainingFigures, backend: Backend, row: Report): void {
  row(
    `training samples/s, 1 job (service, ${backend})`,
    fmt(t.oneJob),
    `test accuracy ${pct(t.first.accuracy)}; mean of ${fmt(t.first.samplesPerSecond)} (before the pairs) and ${fmt(t.again.samplesPerSecond)} (after)`,
  );
  row(`training samples/s, 2 jobs at once (sum, ${backend})`, fmt(t.pair), `${fmt(t.pair / t.oneJob, 2)}× one job`);
  if (t.withPoller !== undefined) {
    row(
      'the same while a client polls a job 50 times a second',
      fmt(t.withPoller),
      `${fmt(t.withPoller / t.oneJob, 2)}× one job`,
    );
    row(
      'GET /v1/training-jobs/{id} p99 meanwhile (ms)',
      fmt(t.poll?.p99 ?? NaN, 1),
      t.poll
        ? `p50 ${fmt(t.poll.p50, 1)} ms, ${t.poll.requests} requests, ${t.poll.errors} errors`
        : '(wrk not installed)',
    );
  }
  row(`POST → first training step, warm worker (ms, ${backend})`, fmt(t.warm.startLatencyMs));
  row(`worker peak RSS while training (MB, ${backend})`, fmt(t.peakRss), '(forked trainer processes)');
}

/**
 * One worker's figures: a job alone (its trainer forked for it), a warm job's start latency,
 * two pairs of jobs at once (the first, with `poll`, while wrk reads a job's resource 50 times
 * a second as a busy dashboard would), then one job again on a warm trainer.
 */
export async function benchTraining(opts: {
  base: string;
  workerPid: number;
  dataset: string;
  epochs: number;
  work: string;
  poll: boolean;
}): Promise<TrainingFigures> {
  const { base, workerPid, dataset, epochs } = opts;
  // Throughput jobs are polled as a dashboard would (4 times a second); only the warm job, which
  // times the start, is polled every 20 ms until its first epoch shows: 100 GETs a second from two
  // jobs would take CPU from the pair's trainers that a lone job's trainer never misses.
  const job = (seed: number, e = epochs, timeStart = false) =>
    trainJob(base, { dataset, epochs: e, seed }, workerPid, timeStart);
  const first = await job(1);
  const warm = await job(2, 1, true);
  let withPoller: number | undefined;
  let poll: LoadResult | undefined;
  if (opts.poll) {
    const polled = Promise.all([3, 4].map((seed) => job(seed)));
    await sleep(1000);
    const running = (await (await fetch(`${base}/v1/training-jobs?state=running`)).json()) as { items: TrainingJob[] };
    const script = join(opts.work, 'poll.lua');
    writeFileSync(script, 'function delay()\n  return 20\nend\n');
    // From 1 s after the POSTs until 80 % of one job's time alone.
    if (running.items[0] && hasCommand('wrk')) {
      poll = await wrk(`${base}/v1/training-jobs/${running.items[0].id}`, {
        connections: 1,
        threads: 1,
        seconds: Math.max(2, Math.floor(first.trainingSeconds * 0.8) - 1),
        script,
      });
    }
    withPoller = sum(await polled);
  }
  const pairs = await Promise.all([5, 6].map((seed) => job(seed)));
  const again = await job(1);
  return {
    oneJob: (first.samplesPerSecond + again.samplesPerSecond) / 2,
    first,
    again,
    warm,
    pair: sum(pairs),
    withPoller,
    poll,
    peakRss: Math.max(first.peakRss, again.peakRss, ...pairs.map((p) => p.peakRss)),
  };
}

/** Submits a job and polls it to the end, as a client would, sampling the trainer's memory. */
export async function trainJob(base: string, body: object, workerPid: number, timeStart = true): Promise<JobFigures> {
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
    // Memory is sampled from /proc every 100 ms: a native epoch on 60,000 images takes well under a second.
    if (performance.now() - lastSample > 100) {
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
    // Until the first epoch shows, poll often when timing the start; otherwise as a dashboard would.
    await sleep(timeStart && Number.isNaN(firstEpochSeen) ? 20 : 250);
  }
}

const sum = (jobs: JobFigures[]) => jobs.reduce((s, j) => s + j.samplesPerSecond, 0);
