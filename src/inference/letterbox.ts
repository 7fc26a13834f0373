import { PIXELS, SIDE } from './pixels.js';
import { resize } from './resample.js';

/**
 * The `fit` rule, for icons and photos: the whole image scaled (area-averaged) to fit 28×28 with
 * its aspect ratio kept, centred, the margins black, no inversion. A 28×28 image comes back as is.
 */
export function letterbox(gray: Uint8Array, width: number, height: number): Uint8Array {
  if (!(width > 0 && height > 0 && gray.length === width * height))
    throw new RangeError(`letterbox: ${gray.length} pixels do not make a ${width}×${height} image`);
  if (width === SIDE && height === SIDE) return gray.slice();
  const scale = SIDE / Math.max(width, height);
  const w = Math.max(1, Math.min(SIDE, Math.round(width * scale)));
  const h = Math.max(1, Math.min(SIDE, Math.round(height * scale)));
  const scaled = resize(Float32Array.from(gray), width, height, w, h);
  const out = new Uint8Array(PIXELS);
  const left = (SIDE - w) >> 1;
  const top = (SIDE - h) >> 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      out[(top + y) * SIDE + left + x] = Math.min(255, Math.max(0, Math.round(scaled[y * w + x]!)));
    }
  }
  return out;
}
