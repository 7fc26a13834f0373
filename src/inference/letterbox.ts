import { PIXELS, SIDE } from './pixels.js';
import { resize } from './resample.js';

/**
 * The `fit` rule (icons, photos): the whole image scaled to fit 28×28 with its aspect ratio
 * kept (area-averaged when shrinking, bilinear when enlarging), centred, the rest black. No
 * inversion, cropping or centring by mass: the image is taken as it is, the same at training
 * (imports) and at predict. A 28×28 image is returned unchanged.
 */
export function letterbox(gray: Uint8Array, width: number, height: number): Uint8Array {
  if (!(width > 0 && height > 0 && gray.length === width * height))
    throw new RangeError(`letterbox: ${gray.length} pixels do not make a ${width}×${height} image`);
  if (width === SIDE && height === SIDE) return gray.slice();
  const scale = SIDE / Math.max(width, height);
  const dw = Math.min(SIDE, Math.max(1, Math.round(width * scale)));
  const dh = Math.min(SIDE, Math.max(1, Math.round(height * scale)));
  const scaled = resize(Float32Array.from(gray), width, height, dw, dh);
  const out = new Uint8Array(PIXELS);
  const left = Math.floor((SIDE - dw) / 2);
  const top = Math.floor((SIDE - dh) / 2);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const v = Math.round(scaled[y * dw + x] ?? 0);
      out[(top + y) * SIDE + left + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
