/**
 * The "under attack" scenario of `npm run bench`: the hostile corpus (test/hostile/cases/)
 * replays, case after case, against an API while predictions run under wrk against the same
 * process. Reports the API's event-loop delay p99 over the run (its own monitor, read from
 * /metrics, which resets it on every scrape), its RSS against idle, and the predictions' rate
 * and p99 beside the same load without the attack.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCorpus, runCase, startArena } from '../test/helpers/hostile/harness.js';
import sharp from 'sharp';
import { fmt, rssMb, serviceAllocator, sleep, wrk, type LoadResult, type Row } from './lib.js';

export interface AttackFigures {
  cases: number;
  /** Cases replayed at least once while predictions were measured. */
  replayedCases: number;
  replays: number;
  failures: string[];
  loopP99Ms: number;
  loopMaxMs: number;
  calmLoopP99Ms: number;
  idleRssMb: number;
  peakRssMb: number;
  /** The cases being replayed when RSS peaked: where to look first when it is too high. */
  peakCases: string[];
  calm: LoadResult;
  attacked: LoadResult;
}

/** Attackers replaying the corpus at once, and the shortest attack: long enough for a whole pass. */
const ATTACKERS = 3;
const ATTACK_SECONDS = 30;

/** The keyed API's metrics, read with its admin key. */
let adminKey = '';
const scrape = async (url: string) =>
  (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text();
const sample = (text: string, name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1]);

export async function underAttack(opts: { work: string; png: string; seconds: number }): Promise<AttackFigures> {
  const corpus = await loadCorpus();
  const env = Object.assign({}, ...corpus.map((f) => f.env)) as Record<string, string>;
  // As in the plain predict run, the limiter is off so that the figures compare with FastAPI's.
  const arena = await startArena(
    process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    {
      ...env,
      RATE_LIMIT_PREDICT_PER_MINUTE: '0',
      LOG_LEVEL: 'error',
      ...serviceAllocator().env,
    },
    ATTACKERS + 1, // one set of keys per attacker, and one for the measured predictions
  );
  try {
    const api = arena.apis.keyed;
    adminKey = arena.keys.admin;
    const script = join(opts.work, 'attack-png.lua');
    writeFileSync(
      script,
      `local f = io.open("${opts.png}", "rb")\nwrk.method = "POST"\nwrk.body = f:read("*all")\nf:close()\n` +
        `wrk.headers["Content-Type"] = "image/png"\nwrk.headers["Authorization"] = "Bearer ${arena.context('keyed', ATTACKERS).keys.predict}"\n`,
    );
    // The arena's model belongs to no tenant: named by id, every key may use it (without an id,
    // each key's tenant has no model of its own and every answer would be a 409).
    const url = `${api.url}/v1/predict?model=${arena.modelId}`;
    await wrk(url, { connections: 32, seconds: 3, script }); // warm-up: model load, JIT, heap
    await scrape(api.url);
    const calm = await wrk(url, { connections: 32, seconds: opts.seconds, script });
    const calmLoopP99Ms = sample(await scrape(api.url), 'nodejs_eventloop_lag_p99_seconds') * 1000;
    await sleep(1000);
    const idleRssMb = rssMb(api.proc.pid!);

    const cases = corpus.flatMap((f) => f.cases);
    const failures = new Set<string>();
    const replayed = new Set<string>();
    let replays = 0;
    let next = 0;
    let attacking = true;
    const inFlight = new Map<number, string>();
    // Several attackers at once, each taking the next case of the corpus, round and round: a
    // slow case (a stalled body waits out the idle timeout) does not hold up the others.
    const attacker = async (_: unknown, me: number) => {
      while (attacking) {
        const c = cases[next++ % cases.length]!;
        inFlight.set(me, c.name);
        // Answers are not checked here (the corpus test does that); a case that throws is listed.
        await runCase(c, arena.context(c.target ?? 'keyed', me)).catch((err: unknown) =>
          failures.add(`${c.name}: ${(err as Error).message.split('\n')[0]}`),
        );
        replayed.add(c.name);
        replays++;
      }
    };
    const attack = Promise.all(Array.from({ length: ATTACKERS }, attacker));
    await scrape(api.url); // resets the API's event-loop delay histogram
    const rss: { mb: number; cases: string[] }[] = [];
    const rssTimer = setInterval(() => rss.push({ mb: rssMb(api.proc.pid!), cases: [...inFlight.values()] }), 250);
    const attacked = await wrk(url, { connections: 32, seconds: Math.max(opts.seconds, ATTACK_SECONDS), script });
    const metrics = await scrape(api.url);
    clearInterval(rssTimer);
    const peak = rss.reduce((a, b) => (b.mb > a.mb ? b : a), { mb: idleRssMb, cases: [] as string[] });
    attacking = false;
    await attack;
    return {
      cases: cases.length,
      replayedCases: replayed.size,
      replays,
      failures: [...failures],
      loopP99Ms: sample(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      loopMaxMs: sample(metrics, 'nodejs_eventloop_lag_max_seconds') * 1000,
      calmLoopP99Ms,
      idleRssMb,
      peakRssMb: peak.mb,
      peakCases: peak.cases,
      calm,
      attacked,
    };
  } finally {
    await arena.close();
  }
}

/** A 28×28 PNG of a vertical bar, the bench's prediction input. */
export async function digitPng(): Promise<Buffer> {
  const pixels = Buffer.alloc(784);
  for (let y = 6; y < 22; y++) for (let x = 12; x < 16; x++) pixels[y * 28 + x] = 255;
  return sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer();
}

export function attackRows(f: AttackFigures, fastapiRps?: number): Row[] {
  // The predictions floor (3× FastAPI, p99 ≤ 20 ms) is the calm run's; here the same load shares the machine with the attack.
  const vsFastapi = fastapiRps ? `; ${fmt(f.attacked.rps / fastapiRps, 2)}× FastAPI's calm figure` : '';
  return [
    [
      'under attack: API event-loop delay p99 (ms)',
      fmt(f.loopP99Ms, 1),
      `max ${fmt(f.loopMaxMs, 1)} ms, ${fmt(f.calmLoopP99Ms, 1)} ms under the same load without the attack; ${f.replays} replays by ${ATTACKERS} attackers, ${f.replayedCases} of ${f.cases} hostile cases at least once; floor ≤ 50 ms`,
    ],
    [
      'under attack: API RSS, idle → peak (MB)',
      `${fmt(f.idleRssMb)} → ${fmt(f.peakRssMb)}`,
      `+${fmt(f.peakRssMb - f.idleRssMb)} MB; floor ≤ idle + 100 MB; at the peak: ${f.peakCases.join('; ').slice(0, 300)}`,
    ],
    [
      'under attack: predict req/s (keyed, 32 connections)',
      fmt(f.attacked.rps),
      `p99 ${fmt(f.attacked.p99, 1)} ms, errors ${f.attacked.errors}${vsFastapi}; without the attack ${fmt(f.calm.rps)} req/s, p99 ${fmt(f.calm.p99, 1)} ms, errors ${f.calm.errors}`,
    ],
    [
      'under attack: cases that threw while replayed',
      String(f.failures.length),
      f.failures.slice(0, 3).join('; ').slice(0, 300),
    ],
  ];
}

/** `npm run bench:attack`: this scenario alone. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const work = mkdtempSync(join(tmpdir(), 'trainyard-attack-'));
  try {
    const png = join(work, 'digit.png');
    writeFileSync(png, await digitPng());
    const seconds = process.argv.includes('--full') ? 30 : 10;
    for (const [what, value, vs] of attackRows(await underAttack({ work, png, seconds }))) {
      console.log(`| ${what} | ${value} | ${vs} |`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
