/**
 * The PyTorch anchors of `npm run bench` (../shared/anchors), and which BLAS PyTorch multiplies
 * with: Debian's torch uses whatever libblas.so.3 the system selects, and against the reference
 * BLAS (libblas3, far slower than OpenBLAS: docs/performance.md) a ratio flatters the service.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, type Report } from './lib.js';
import type { TrainedFigures } from './training.js';

export const python = '/usr/bin/python3';

export interface BlasInfo {
  /** The BLAS library files the python process had mapped after a matrix product. */
  loaded: string[];
  /** What `update-alternatives` says libblas.so.3 points to, when it says. */
  alternative: string;
  /** A short name: OpenBLAS, reference BLAS, MKL, BLIS, or the file's name. */
  name: string;
  reference: boolean;
}

/** Which BLAS a torch matmul runs on here: the files mapped into the process after one. */
export function pytorchBlas(): BlasInfo {
  const script = [
    'import torch',
    'torch.mm(torch.ones(256, 256), torch.ones(256, 256))',
    "print('\\n'.join(sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() or 'mkl' in l.lower()})))",
  ].join('\n');
  const out = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  const loaded = out.stdout.split('\n').filter((l) => l.startsWith('/'));
  // Debian names the alternative after the multiarch triplet, e.g. libblas.so.3-x86_64-linux-gnu.
  const triplet = `${{ x64: 'x86_64', arm64: 'aarch64' }[process.arch as string] ?? process.arch}-linux-gnu`;
  const alt = spawnSync('update-alternatives', ['--display', `libblas.so.3-${triplet}`], { encoding: 'utf8' });
  const alternative = /currently points to (\S+)/.exec(alt.stdout ?? '')?.[1] ?? '(update-alternatives: no answer)';
  const all = [...loaded, alternative].join(' ');
  const name = /openblas/i.test(all)
    ? 'OpenBLAS'
    : /mkl/i.test(all)
      ? 'MKL'
      : /blis/i.test(all)
        ? 'BLIS'
        : /\/blas\/libblas\.so/.test(all)
          ? 'reference BLAS (libblas3)'
          : (loaded[0] ?? alternative);
  return { loaded, alternative, name, reference: name.startsWith('reference') };
}

export interface AnchorResult {
  sps: number;
  /** Test accuracy in percent. */
  acc: number;
}

export function runAnchor(anchors: string, script: string, args: string[]): AnchorResult {
  const out = spawnSync(python, [join(anchors, script), ...args], { cwd: anchors, encoding: 'utf8' });
  const m = out.stdout.match(/samples_per_s=([\d.]+) test_accuracy=([\d.]+)%/);
  if (!m) throw new Error(`${script} printed no result:\n${out.stdout}\n${out.stderr}`);
  return { sps: Number(m[1]), acc: Number(m[2]) };
}

export const hasTorch = (anchors: string) =>
  existsSync(anchors) && spawnSync(python, ['-c', 'import torch']).status === 0;

export type BestAnchor = AnchorResult & { threads: number };

/**
 * The PyTorch anchors on the same data and machine, run after ours so they do not overlap:
 * the careful script on 1 and 2 threads, then the tutorial script. `best` is the faster careful
 * run, left out when PyTorch multiplies on the reference BLAS (a ratio would flatter us).
 */
export function benchAnchors(opts: {
  anchors: string;
  /** Whether PyTorch is installed (hasTorch, asked once by the caller). */
  hasTorch: boolean;
  fashionDir: string;
  dataset: string;
  epochs: number;
  trained: TrainedFigures;
  row: Report;
}): { best?: BestAnchor; blasName: string } {
  const { anchors, fashionDir, trained, row } = opts;
  if (!opts.hasTorch || opts.dataset !== 'fashion-mnist') {
    row('PyTorch anchors', 'skipped', opts.hasTorch ? '(needs fashion-mnist)' : '(python3-torch not installed)');
    return { blasName: '' };
  }
  const blas = pytorchBlas();
  row(
    'BLAS under the PyTorch anchor',
    blas.name,
    `libblas.so.3 → ${blas.alternative}; mapped: ${blas.loaded.join(', ') || 'none'}`,
  );
  const ofThreads = [1, 2].map((threads) => ({
    threads,
    ...runAnchor(anchors, 'careful_train.py', [
      '--threads',
      String(threads),
      '--epochs',
      String(opts.epochs),
      '--data',
      fashionDir,
    ]),
  }));
  let best: BestAnchor | undefined = ofThreads.reduce((a, b) => (b.sps > a.sps ? b : a));
  for (const a of ofThreads) {
    const vs = blas.reference
      ? 'no ratio: the reference BLAS is ~12× slower than OpenBLAS (apt-get install libopenblas0-pthread)'
      : `native ${fmt((trained.native?.oneJob ?? NaN) / a.sps, 2)}×, wasm ${fmt((trained.wasm?.oneJob ?? NaN) / a.sps, 2)}×`;
    row(
      `PyTorch careful script, ${a.threads} thread${a.threads > 1 ? 's' : ''}`,
      fmt(a.sps),
      `${vs}; accuracy ${a.acc} %`,
    );
  }
  if (blas.reference) best = undefined;
  if (spawnSync(python, ['-c', 'import torchvision']).status !== 0) {
    row('PyTorch tutorial script', 'skipped', '(python3-torchvision not installed)');
  } else {
    const seed = runAnchor(anchors, 'seed_train.py', [fashionDir, String(opts.epochs)]);
    row(
      'PyTorch tutorial script',
      fmt(seed.sps),
      `${blas.reference ? 'no ratio (reference BLAS)' : `native ${fmt((trained.native?.oneJob ?? NaN) / seed.sps, 2)}×`}; accuracy ${seed.acc} %`,
    );
  }
  return { best, blasName: blas.name };
}
