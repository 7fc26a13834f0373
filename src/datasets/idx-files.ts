import { readFile, stat } from 'node:fs/promises';
import { inflateIdx } from './gunzip-capped.js';
import { parseIdxPair } from './idx.js';
import type { Split } from './types.js';
import { DIGIT_CLASSES } from '../schemas/image-shape.js';

/** IDX files as stored: found under their name or with .gz appended, read, inflated and parsed. */

/** Inflates (if gzipped) and parses one split; see inflateIdx for `maxBytes`. */
export function readIdxPair(
  imagesBuf: Uint8Array,
  labelsBuf: Uint8Array,
  whatPrefix: string,
  maxBytes: number,
  classes = DIGIT_CLASSES,
): Split {
  const images = inflateIdx(imagesBuf, `${whatPrefix}Images`, maxBytes);
  const labels = inflateIdx(labelsBuf, `${whatPrefix}Labels`, maxBytes);
  return parseIdxPair(images, labels, whatPrefix, classes);
}

/** The existing one of `path` and `path.gz`, or undefined when neither is a file. */
export async function findIdxFile(path: string): Promise<string | undefined> {
  for (const candidate of [path, `${path}.gz`]) {
    const st = await stat(candidate).catch(() => undefined);
    if (st?.isFile()) return candidate;
  }
  return undefined;
}

/** Reads `path`, or `path.gz` when only the gzipped file exists; the bytes are returned as stored. */
export async function readIdxFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    return await readFile(`${path}.gz`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw Object.assign(new Error(`${path} not found (nor ${path}.gz)`), { code: 'ENOENT' });
  }
}
