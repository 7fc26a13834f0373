/**
 * The import figure: a ZIP of Fashion-MNIST as PNG files in class folders (60,000 train images
 * under train/<class>/, the 10,000 test images under test/<class>/), built here from Debian's
 * IDX files, uploaded to the API and imported by a worker; the time from the POST to `ready`.
 * Alone: `npm run build && tsx bench/import.ts` (starts its own API and worker).
 */
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ZipFile } from 'yazl';
import { FASHION_MNIST_LABELS } from '../src/datasets/fashion-mnist.js';
import { encodePng } from '../test/helpers/png.js';
import { fmt, freePort, pct, sleep, start, waitHttp, type Proc, type Report } from './lib.js';

/** The floor: the whole import within a minute on this machine. */
export const IMPORT_FLOOR_SECONDS = 60;

async function buildZip(fashionDir: string, path: string): Promise<number> {
  const zip = new ZipFile();
  const done = new Promise<void>((ok, fail) =>
    zip.outputStream.pipe(createWriteStream(path)).on('close', ok).on('error', fail),
  );
  let count = 0;
  for (const [split, file] of [
    ['train', 'train'],
    ['test', 't10k'],
  ] as const) {
    const images = gunzipSync(readFileSync(join(fashionDir, `${file}-images-idx3-ubyte.gz`))).subarray(16);
    const labels = gunzipSync(readFileSync(join(fashionDir, `${file}-labels-idx1-ubyte.gz`))).subarray(8);
    for (let i = 0; i < labels.length; i++) {
      const data = images.subarray(i * 784, (i + 1) * 784);
      const name = FASHION_MNIST_LABELS[labels[i]!]!.replace(/\//g, '-');
      // PNG files are compressed already: stored as they are, as most archivers would.
      zip.addBuffer(encodePng({ width: 28, height: 28, channels: 1, data }), `fashion/${split}/${name}/${i}.png`, {
        compress: false,
      });
      count++;
    }
  }
  zip.end();
  await done;
  return count;
}

async function accuracyOf(base: string, dataset: string, seed: number): Promise<number> {
  const res = await fetch(`${base}/v1/training-jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ dataset, epochs: 5, seed }),
  });
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const job = (await (await fetch(`${base}/v1/training-jobs/${id}`)).json()) as {
      state: string;
      error?: string;
      metrics?: { testAccuracy: number };
    };
    if (job.state === 'completed') return job.metrics!.testAccuracy;
    if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`job on ${dataset}: ${job.error}`);
    await sleep(250);
  }
}

export async function benchImport(opts: {
  base: string;
  env: Record<string, string>;
  root: string;
  work: string;
  fashionDir: string;
  procs: Proc[];
  row: Report;
}): Promise<number | undefined> {
  const { base, row } = opts;
  if (!existsSync(join(opts.fashionDir, 'train-images-idx3-ubyte.gz'))) {
    row('import of a 70,000-image ZIP', 'skipped', '(Fashion-MNIST not installed)');
    return undefined;
  }
  const zipPath = join(opts.work, 'fashion-mnist-png.zip');
  const files = await buildZip(opts.fashionDir, zipPath);
  const worker = await start(
    process.execPath,
    ['dist/worker/main.js'],
    { ...opts.env, LOG_LEVEL: 'info' },
    'worker started',
    opts.root,
  );
  opts.procs.push(worker);
  try {
    const form = new FormData();
    form.append('name', 'fashion-mnist from PNG');
    form.append('preprocess', 'fit');
    form.append('archive', await openAsBlob(zipPath), 'fashion-mnist-png.zip');
    const started = performance.now();
    const res = await fetch(`${base}/v1/datasets`, { method: 'POST', body: form });
    const accepted = (await res.json()) as { id: string; state: string };
    if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(accepted)}`);
    let dataset: { state: string; trainSize: number; testSize: number; import?: { error?: string } };
    for (;;) {
      dataset = (await (await fetch(`${base}/v1/datasets/${accepted.id}`)).json()) as typeof dataset;
      if (dataset.state !== 'importing') break;
      await sleep(200);
    }
    const seconds = (performance.now() - started) / 1000;
    if (dataset.state !== 'ready') throw new Error(`import failed: ${dataset.import?.error}`);
    const mb = statSync(zipPath).size / 1024 ** 2;
    row(
      `import of a ZIP of ${files.toLocaleString('en-US')} PNG files (${fmt(mb)} MB), POST to ready`,
      `${fmt(seconds, 1)} s`,
      `${dataset.trainSize} train + ${dataset.testSize} test images`,
    );
    row(
      `floor: import ≤ ${IMPORT_FLOOR_SECONDS} s`,
      seconds <= IMPORT_FLOOR_SECONDS ? 'met' : 'NOT met',
      `${fmt(seconds, 1)} s`,
    );
    // The same jobs, same seeds, on the imported dataset and on the IDX original. The images are
    // the same but in another order (class folders), so one seed's shuffles differ between the
    // two and its accuracy moves by up to a point: the means over three seeds are compared.
    const seeds = [1, 2, 3];
    const imported: number[] = [];
    const original: number[] = [];
    for (const seed of seeds) {
      const [a, b] = await Promise.all([accuracyOf(base, accepted.id, seed), accuracyOf(base, 'fashion-mnist', seed)]);
      imported.push(a);
      original.push(b);
    }
    const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
    const points = Math.abs(mean(imported) - mean(original)) * 100;
    row(
      'floor: jobs on the imported dataset within 0.5 point of the IDX original (5 epochs, mean of seeds 1–3)',
      points <= 0.5 ? 'met' : 'NOT met',
      `${pct(mean(imported))} vs ${pct(mean(original))}; by seed ${imported.map(pct).join(', ')} vs ${original.map(pct).join(', ')}`,
    );
    return seconds;
  } finally {
    await worker.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(import.meta.dirname, '..');
  const work = mkdtempSync(join(tmpdir(), 'trainyard-bench-import-'));
  const port = await freePort();
  const env = {
    PORT: String(port),
    DATA_DIR: work,
    QUEUE_PREFIX: `bench-import-${process.pid}`,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    RATE_LIMIT_READ_PER_MINUTE: '0',
    WORKER_METRICS_PORT: '0',
    FASHION_MNIST_DIR: process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist',
  };
  const procs: Proc[] = [];
  try {
    procs.push(await start(process.execPath, ['dist/server.js'], env, '', root));
    await waitHttp(`http://127.0.0.1:${port}/healthz`);
    const fashionDir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
    const row: Report = (what, value, vs = '') => console.log(`${what}: ${value} ${vs}`);
    await benchImport({ base: `http://127.0.0.1:${port}`, env, root, work, fashionDir, procs, row });
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}
