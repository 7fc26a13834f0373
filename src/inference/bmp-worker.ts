/**
 * The BMP decoder's worker thread: decodes one BMP at a time to 8-bit luminance, so that a
 * 4096×4096 file (long in JavaScript: docs/performance.md) never runs on the API's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { DomainError } from '../errors.js';
import { decodeBmp, decodeBmpGray, readBmpHeader } from './bmp.js';
import { toGray } from './pixels.js';

export interface BmpTask {
  id: number;
  bytes: Uint8Array;
  /** Shrunk here by a whole factor to at most twice this side, so no full-size raster crosses back. */
  maxSide?: number;
}

export type BmpResult =
  | { id: number; width: number; height: number; gray: Uint8Array }
  | { id: number; error: { statusCode: number; code: string; message: string } };

parentPort?.on('message', ({ id, bytes, maxSide }: BmpTask) => {
  let result: BmpResult;
  try {
    const { width, height } = readBmpHeader(bytes);
    const direct = decodeBmpGray(bytes, shrinkFactor(width, height, maxSide));
    const raster = direct ? undefined : decodeBmp(bytes);
    const image = direct ?? { width: raster!.width, height: raster!.height, gray: toGray(raster!) };
    result = { id, ...boxShrink(image.gray, image.width, image.height, maxSide) };
  } catch (err) {
    // A read past the end of the buffer is a RangeError: the file is shorter than it says.
    result =
      err instanceof DomainError
        ? { id, error: { statusCode: err.statusCode, code: err.code, message: err.message } }
        : {
            id,
            error: {
              statusCode: 400,
              code: 'INVALID_IMAGE',
              message: 'image could not be decoded: BMP is truncated or corrupt',
            },
          };
  }
  parentPort!.postMessage(result, 'gray' in result ? [result.gray.buffer as ArrayBuffer] : []);
});

/** The whole factor that keeps the longer side at least `maxSide`. */
export const shrinkFactor = (width: number, height: number, maxSide: number | undefined) =>
  maxSide ? Math.max(1, Math.floor(Math.max(width, height) / maxSide)) : 1;

/**
 * Averages f×f blocks, f the whole factor that keeps the longer side at least `maxSide`: a
 * 4096² image leaves as 512², not as 16 MB for the main thread to hold while sharp resizes it.
 */
export function boxShrink(
  gray: Uint8Array,
  width: number,
  height: number,
  maxSide: number | undefined,
): { width: number; height: number; gray: Uint8Array } {
  const f = shrinkFactor(width, height, maxSide);
  if (f < 2) return { width, height, gray };
  const w = Math.ceil(width / f);
  const h = Math.ceil(height / f);
  const sums = new Uint32Array(w * h);
  const counts = new Uint32Array(w * h);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / f) * w;
    for (let x = 0; x < width; x++) {
      const o = row + Math.floor(x / f);
      sums[o]! += gray[y * width + x]!;
      counts[o]!++;
    }
  }
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(sums[i]! / counts[i]!);
  return { width: w, height: h, gray: out };
}
