import { InvalidInputError } from '../errors.js';

/** The error of an image whose bytes cannot be decoded. */
export const undecodable = (why: string) =>
  new InvalidInputError(`image could not be decoded: ${why}`, 'INVALID_IMAGE');

import { IMAGE_SIDE as SIDE, INPUT_SIZE as PIXELS } from '../schemas/image-shape.js';

export { SIDE, PIXELS };

/** Decoded samples before grayscale conversion: interleaved channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: ArrayLike<number>;
  /** 255 for 8-bit samples, 65535 for 16-bit ones. */
  maxValue: number;
}

/**
 * Luminance (0.299 R + 0.587 G + 0.114 B) as bytes. Transparent pixels are composited onto a
 * background chosen from the visible ink: onto white when the opaque pixels are mostly dark, onto
 * black when they are mostly light, so a stroke on a transparent canvas always contrasts with
 * what replaces the transparency, whatever colour the pen was.
 */
export function toGray(raster: Raster): Uint8Array {
  const { width, height, channels, data, maxValue } = raster;
  const n = width * height;
  if (data.length < n * channels) throw new RangeError(`raster has ${data.length} samples, expected ${n * channels}`);
  // 8-bit grey, the common case for digits, is already what we want.
  if (channels === 1 && maxValue === 255) {
    // A copy even of a Buffer (whose own slice() is a view of the whole decoded raster).
    if (data instanceof Uint8Array) return Uint8Array.prototype.slice.call(data, 0, n);
    const out = new Uint8Array(n);
    for (let p = 0; p < n; p++) out[p] = data[p]!;
    return out;
  }
  // 8-bit RGB, what canvases and image libraries write most: the formula below without its closure.
  if (channels === 3 && maxValue === 255 && data instanceof Uint8Array) {
    const out = new Uint8Array(n);
    for (let p = 0, i = 0; p < n; p++, i += 3)
      out[p] = Math.round(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
    return out;
  }
  const colour = channels >= 3;
  const alphaAt = channels === 2 || channels === 4 ? channels - 1 : -1;
  const toByte = 255 / maxValue;
  // Luminance of pixel p on the 0–255 scale.
  const lum = (p: number) => {
    const i = p * channels;
    const v = colour
      ? 0.299 * (data[i] ?? 0) + 0.587 * (data[i + 1] ?? 0) + 0.114 * (data[i + 2] ?? 0)
      : (data[i] ?? 0);
    return v * toByte;
  };
  const out = new Uint8Array(n);
  if (alphaAt < 0) {
    for (let p = 0; p < n; p++) out[p] = Math.round(lum(p));
    return out;
  }

  let weight = 0;
  let weighted = 0;
  for (let p = 0; p < n; p++) {
    const a = (data[p * channels + alphaAt] ?? 0) / maxValue;
    if (a === 0) continue;
    weight += a;
    weighted += a * lum(p);
  }
  // A fully transparent image has no ink: black keeps it blank for mnistify.
  const background = weight > 0 && weighted / weight < 128 ? 255 : 0;
  for (let p = 0; p < n; p++) {
    const a = (data[p * channels + alphaAt] ?? 0) / maxValue;
    out[p] = Math.round(a === 0 ? background : lum(p) * a + background * (1 - a));
  }
  return out;
}

const EXPECTED = `expected ${PIXELS} pixel values (flat or ${SIDE}×${SIDE})`;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string')
    return `a string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
  if (typeof value === 'number') return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Validates a JSON predict input that is already in MNIST form: 784 numbers 0–255, flat or as
 * 28 rows of 28. Fractions are rounded. `index` names the instance in error messages, so a
 * client sending a batch learns which one was wrong.
 */
export function pixelsFromJson(value: unknown, index?: number): Uint8Array {
  const where = index === undefined ? '' : `instances[${index}]: `;
  const fail = (message: string): never => {
    throw new InvalidInputError(`${where}${message}`, 'INVALID_PIXELS');
  };
  if (!Array.isArray(value)) return fail(`${EXPECTED}, got ${describe(value)}`);

  const out = new Uint8Array(PIXELS);
  const put = (v: unknown, at: number, name: string) => {
    if (typeof v !== 'number') return fail(`${name} is ${describe(v)}; pixel values must be numbers 0–255`);
    if (!(v >= 0 && v <= 255)) return fail(`${name} is ${v}; pixel values must be 0–255`); // NaN fails too
    out[at] = Math.round(v);
  };

  // Counts are checked before any element is visited, so an oversized array is refused at once.
  if (Array.isArray(value[0])) {
    if (value.length !== SIDE) return fail(`${EXPECTED}, got ${value.length} rows`);
    for (let r = 0; r < SIDE; r++) {
      const row: unknown = value[r];
      if (!Array.isArray(row)) return fail(`${EXPECTED}, got ${SIDE} rows but row ${r} is ${describe(row)}`);
      if (row.length !== SIDE) return fail(`${EXPECTED}, got ${SIDE} rows but row ${r} has ${row.length} values`);
    }
    for (let r = 0; r < SIDE; r++) {
      const row = value[r] as unknown[];
      for (let c = 0; c < SIDE; c++) put(row[c], r * SIDE + c, `pixels[${r}][${c}]`);
    }
    return out;
  }

  if (value.length !== PIXELS) return fail(`${EXPECTED}, got ${value.length}`);
  for (let i = 0; i < PIXELS; i++) put(value[i], i, `pixels[${i}]`);
  return out;
}
