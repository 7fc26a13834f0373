import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Small helpers for the benchmark: processes, ports, polling, wrk, /proc readings, table rows. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Proc {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** A TCP port free at the time of asking, for a process that must be told its port up front. */
export { freePort } from '../test/helpers/net.js';

/** The Docker image's jemalloc settings (see the Dockerfile). */
export const JEMALLOC_CONF = 'background_thread:true,narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0';
const JEMALLOC = [
  '/usr/local/lib/libjemalloc.so.2',
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
];

/**
 * The service's processes run with jemalloc, as the Docker image runs them, when the library is
 * here (Debian's libjemalloc2): glibc's malloc keeps much of what libvips frees while it decodes
 * large images. The anchors keep their defaults.
 */
export function serviceAllocator(): { env: Record<string, string>; name: string } {
  const lib = JEMALLOC.find((path) => existsSync(path));
  return lib
    ? { env: { LD_PRELOAD: lib, MALLOC_CONF: JEMALLOC_CONF }, name: 'jemalloc' }
    : { env: {}, name: 'glibc malloc (libjemalloc2 not installed)' };
}

export async function start(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: string, cwd?: string) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes(ready)) {
    if (child.exitCode !== null) throw new Error(`${cmd} ${args.join(' ')} exited:\n${out}`);
    if (Date.now() > deadline) throw new Error(`${cmd} ${args.join(' ')} did not start:\n${out}`);
    await sleep(50);
  }
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  } satisfies Proc;
}

export async function waitHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer`);
    await sleep(100);
  }
}

/** Resident memory of a process, in MB, from /proc. */
export function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Child processes of `pid`, from /proc: no `ps` spawned, so sampling does not stall this event loop. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .map(Number)
        .filter((n) => n > 0),
    );
  } catch {
    return [];
  }
}

export const hasCommand = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export interface LoadResult {
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * Runs wrk (`script` sets method, body and headers) and reads requests/s and latency percentiles.
 * Asynchronous, so this process can sample other processes meanwhile.
 */
export async function wrk(
  url: string,
  opts: { connections: number; seconds: number; script?: string; threads?: number },
): Promise<LoadResult> {
  const args = [
    `-t${opts.threads ?? 2}`,
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    '--latency',
    ...(opts.script ? ['-s', opts.script] : []),
    url,
  ];
  const out = await new Promise<string>((resolve, reject) =>
    execFile('wrk', args, { encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  const ms = (label: string) => {
    const m = out.match(new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`));
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const socketErrors = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const requests = Number(out.match(/(\d+) requests in/)?.[1] ?? NaN);
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN),
    requests,
    p50: ms('50%'),
    p99: ms('99%'),
    errors,
  };
}

/** Samples a process's RSS every `everyMs` until stopped; returns the samples in order. */
export function sampleRss(pid: number, everyMs = 1000): { stop(): number[] } {
  const samples: number[] = [rssMb(pid)];
  const timer = setInterval(() => samples.push(rssMb(pid)), everyMs);
  return {
    stop() {
      clearInterval(timer);
      samples.push(rssMb(pid));
      return samples;
    },
  };
}

/** A wrk script that POSTs a file with a content type. */
export function postScript(file: string, contentType: string): string {
  return `local f = io.open("${file}", "rb")\nwrk.method = "POST"\nwrk.body = f:read("*all")\nf:close()\nwrk.headers["Content-Type"] = "${contentType}"\n`;
}

export const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
export const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

/** One line of the results table: what was measured, its value, what it is compared with. */
export type Row = [string, string, string];
/** Adds a row to the table (and prints it as progress). */
export type Report = (what: string, value: string, vs?: string) => void;
