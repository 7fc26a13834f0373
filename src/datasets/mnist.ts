import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError } from '../errors.js';
import { DATASET_DOWNLOAD_FAILED } from './errors.js';
import {
  builtinInfo,
  DIGIT_LABELS,
  IDX_FILE_NAMES,
  loadIdxDir,
  missingIdxFile,
  type BuiltinDataset,
} from './builtin.js';
import { findIdxFile } from './idx-files.js';
import type { LoadedDataset } from './types.js';

/**
 * `mnist`: the full 70,000 MNIST digits, from MNIST_DIR when it holds the four IDX files,
 * otherwise downloaded once from a mirror, checked against the published MD5 sums and kept
 * in `<dataDir>/cache/mnist/`, which API and workers share.
 */

export const MNIST_ID = 'mnist';

/** Published MD5 of the gzipped files (the same on every mirror of the original files). */
export const MNIST_MD5: Readonly<Record<string, string>> = {
  'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
  'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
  't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
  't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
};

const DEFAULT_TIMEOUT_MS = 30_000;
/** How messages name the download cache: by the setting, not by this machine's path. */
const CACHE_WHERE = "DATA_DIR's download cache";
/** The largest file is ~9.9 MB; a mirror sending far more is refused rather than buffered. */
const MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024;

export interface MnistOptions {
  /** DATA_DIR; downloads go to `<dataDir>/cache/mnist/`. */
  dataDir: string;
  /** MNIST_DIR; empty means none. */
  mnistDir: string;
  baseUrl: string;
  /** Per file, connection and body included. */
  timeoutMs?: number | undefined;
  /** File name (`*.gz`) → MD5 hex; replaces MNIST_MD5, e.g. for a test mirror. */
  checksums?: Record<string, string> | undefined;
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no complete answer within ${timeoutMs} ms`;
  }
  if (err instanceof Error) {
    // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`.
    const cause = err.cause as { code?: string; message?: string } | undefined;
    const detail = cause?.code ?? cause?.message;
    return detail ? `${err.message} (${detail})` : err.message;
  }
  return String(err);
}

async function readBody(res: Response): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_DOWNLOAD_BYTES) {
      await reader.cancel();
      throw new Error(`response larger than ${MAX_DOWNLOAD_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

export function mnistDataset(opts: MnistOptions): BuiltinDataset {
  const baseUrl = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
  const cacheDir = join(opts.dataDir, 'cache', 'mnist');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const checksums = opts.checksums ?? MNIST_MD5;

  /** Where complete files are (and the setting naming it), or undefined when a download is needed. */
  async function localDir(): Promise<{ dir?: string; where?: string; localMissing?: string }> {
    let localMissing: string | undefined;
    if (opts.mnistDir !== '') {
      localMissing = await missingIdxFile(opts.mnistDir);
      if (localMissing === undefined) return { dir: opts.mnistDir, where: 'MNIST_DIR' };
    }
    if ((await missingIdxFile(cacheDir)) === undefined) return { dir: cacheDir, where: CACHE_WHERE };
    return localMissing === undefined ? {} : { localMissing };
  }

  function fail(url: string, detail: string): UnavailableError {
    return new UnavailableError(
      `could not download MNIST from ${url}: ${detail}; ` +
        'set MNIST_DIR to a directory holding the four IDX files to use local copies',
      DATASET_DOWNLOAD_FAILED,
    );
  }

  /** Fetches, verifies and atomically stores one gzipped file in the cache. */
  async function download(file: string): Promise<void> {
    const url = new URL(file, baseUrl).href;
    const expected = checksums[file];
    if (expected === undefined) throw fail(url, `no checksum is known for ${file}`);
    let body: Buffer;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
      }
      body = await readBody(res);
    } catch (err) {
      throw fail(url, describeFetchError(err, timeoutMs));
    }
    const md5 = createHash('md5').update(body).digest('hex');
    if (md5 !== expected.toLowerCase()) {
      throw fail(url, `checksum mismatch (MD5 ${md5}, expected ${expected})`);
    }
    // A unique temp name, then rename: another process never sees a partial file, and two
    // processes downloading at once both end up with the same verified bytes.
    const tmp = join(cacheDir, `.${file}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(cacheDir, { recursive: true });
      await writeFile(tmp, body);
      await rename(tmp, join(cacheDir, file));
    } catch (err) {
      await rm(tmp, { force: true });
      // Node's message holds the path; the job's error, shown by the API, must not.
      const code = (err as NodeJS.ErrnoException | null)?.code ?? 'error';
      throw new UnavailableError(`could not store ${file} in ${CACHE_WHERE} (${code})`, DATASET_DOWNLOAD_FAILED);
    }
  }

  let sizes = { train: 60000, test: 10000 };
  return {
    id: MNIST_ID,
    async info() {
      const { dir, localMissing } = await localDir();
      let note: string | undefined;
      if (dir === undefined) {
        note = `downloaded from ${baseUrl} on first use`;
        if (localMissing !== undefined) note += ` (MNIST_DIR lacks ${localMissing})`;
      }
      return builtinInfo(MNIST_ID, 'MNIST', {
        available: true,
        note,
        trainSize: sizes.train,
        testSize: sizes.test,
        labels: DIGIT_LABELS,
      });
    },
    async load(): Promise<LoadedDataset> {
      let { dir, where } = await localDir();
      if (dir === undefined) {
        // Files a previous, partly failed attempt already verified and stored are kept.
        const needed: string[] = [];
        for (const name of Object.values(IDX_FILE_NAMES)) {
          if ((await findIdxFile(join(cacheDir, name))) === undefined) needed.push(`${name}.gz`);
        }
        await Promise.all(needed.map(download));
        dir = cacheDir;
        where = CACHE_WHERE;
      }
      const dataset = await loadIdxDir(dir, MNIST_ID, DIGIT_LABELS, where ?? CACHE_WHERE);
      sizes = { train: dataset.train.count, test: dataset.test.count };
      return dataset;
    },
  };
}
