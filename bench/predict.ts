/**
 * The prediction part of `npm run bench`: one 28×28 PNG per request from 32 wrk connections,
 * three load runs each for the service and the FastAPI anchor (their medians are compared),
 * the API's memory and tensors over the runs, and the same load with the rate limiter on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  fmt,
  freePort,
  postScript,
  sampleRss,
  start,
  waitHttp,
  wrk,
  type LoadResult,
  type Proc,
  type Row,
} from './lib.js';
import { python } from './anchors.js';

export const RUNS = 3;

export interface PredictFigures {
  png: string;
  script: string;
  /** The median run (by requests/s), and each run's figures. */
  ours: LoadResult;
  runs: LoadResult[];
  fastapi?: LoadResult;
  fastapiRuns?: LoadResult[];
  rows: Row[];
}

export async function benchPredict(opts: {
  base: string;
  apiPid: number;
  env: Record<string, string>;
  work: string;
  root: string;
  anchors?: string;
  seconds: number;
  procs: Proc[];
}): Promise<PredictFigures> {
  const { base, work, seconds } = opts;
  const rows: Row[] = [];
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
  // Warm-up: model load, JIT, the heap growing to its working size.
  await wrk(`${base}/v1/predict`, { connections: 32, seconds: Math.ceil(seconds / 3), script });
  const tensorsBefore = await tensors(base);
  const rss = sampleRss(opts.apiPid);
  const runs: LoadResult[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await wrk(`${base}/v1/predict`, { connections: 32, seconds, script }));
  const rssSamples = rss.stop();
  const ours = medianRun(runs);
  rows.push([
    `predict req/s, 1 PNG per request, 32 connections (median of ${RUNS})`,
    fmt(ours.rps),
    `p50 ${fmt(ours.p50, 1)} ms, p99 ${fmt(ours.p99, 1)} ms, errors ${sumErrors(runs)}; runs ${runs.map((r) => fmt(r.rps)).join(', ')} req/s`,
  ]);
  // Sampled each second: one reading lands anywhere on the garbage collector's sawtooth.
  const third = Math.max(1, Math.floor(rssSamples.length / 3));
  rows.push([
    'API RSS over the predict runs, first third → last third (MB, median)',
    `${fmt(median(rssSamples.slice(0, third)))} → ${fmt(median(rssSamples.slice(-third)))}`,
    `${runs.reduce((s, r) => s + r.requests, 0)} predictions; range ${fmt(Math.min(...rssSamples))}–${fmt(Math.max(...rssSamples))} MB`,
  ]);
  rows.push(['API tensors before → after the predict runs', `${tensorsBefore} → ${await tensors(base)}`, '']);
  // The same load on an API replica with the predict rate limiter on (a budget far above what
  // the machine serves): every prediction then pays a Redis round trip.
  const limitedPort = await freePort();
  const limited = await start(
    process.execPath,
    ['dist/server.js'],
    { ...opts.env, PORT: String(limitedPort), RATE_LIMIT_PREDICT_PER_MINUTE: '10000000' },
    '',
    opts.root,
  );
  opts.procs.push(limited);
  await waitHttp(`http://127.0.0.1:${limitedPort}/healthz`);
  const limitedUrl = `http://127.0.0.1:${limitedPort}/v1/predict`;
  await wrk(limitedUrl, { connections: 32, seconds: Math.ceil(seconds / 3), script });
  const withLimiter = await wrk(limitedUrl, { connections: 32, seconds, script });
  await limited.stop();
  rows.push([
    'predict req/s with the rate limiter on',
    fmt(withLimiter.rps),
    `p50 ${fmt(withLimiter.p50, 1)} ms, p99 ${fmt(withLimiter.p99, 1)} ms; ${fmt(withLimiter.rps / ours.rps, 2)}× without`,
  ]);
  let fastapi: LoadResult | undefined;
  let fastapiRuns: LoadResult[] | undefined;
  if (opts.anchors) {
    fastapiRuns = await fastapiAnchor(opts.anchors, script, seconds);
    fastapi = medianRun(fastapiRuns);
    rows.push([
      `FastAPI + PyTorch anchor, same load (median of ${RUNS})`,
      fmt(fastapi.rps),
      `p99 ${fmt(fastapi.p99, 1)} ms; service ${fmt(ours.rps / fastapi.rps, 2)}×; runs ${fastapiRuns.map((r) => fmt(r.rps)).join(', ')} req/s`,
    ]);
  }
  return { png, script, ours, runs, fastapi, fastapiRuns, rows };
}

async function fastapiAnchor(anchors: string, script: string, seconds: number): Promise<LoadResult[]> {
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
    const runs: LoadResult[] = [];
    for (let i = 0; i < RUNS; i++)
      runs.push(await wrk(`http://127.0.0.1:${port}/predict`, { connections: 32, seconds, script }));
    return runs;
  } finally {
    await server.stop();
  }
}

/** Live TensorFlow.js tensors in the API process, from its metrics. */
async function tensors(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^trainyard_tensors (\d+)$/m.exec(text)?.[1] ?? NaN);
}

/** The run with the median requests/s, with the median of the runs' p99s. */
const medianRun = (runs: LoadResult[]): LoadResult => ({
  ...[...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!,
  p99: median(runs.map((r) => r.p99)),
});
const sumErrors = (runs: LoadResult[]) => runs.reduce((s, r) => s + r.errors, 0);
export const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
