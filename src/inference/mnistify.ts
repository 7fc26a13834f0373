import { PIXELS, SIDE } from './pixels.js';
import { resize } from './resample.js';

/** MNIST digits were scaled to fit a 20×20 box, then centred by mass in the 28×28 frame. */
const BOX = 20;
const CENTRE = 14;
/** Ink below this fraction of the strongest ink is treated as background noise (paper grain, JPEG ringing). */
const INK_THRESHOLD = 0.1;
/** An image whose strongest ink is this close to the background is blank, not a faint digit to amplify. */
const MIN_CONTRAST = 16;

/**
 * Turns a grayscale image of one digit into the 784 bytes the model was trained on: white digit
 * on black, fitted into 20×20 with its aspect ratio kept, centre of mass at (14, 14), full
 * intensity. An image already in that form (28×28 on a dark background) is returned as is.
 */
export function mnistify(gray: Uint8Array, width: number, height: number): Uint8Array {
  if (!(width > 0 && height > 0 && gray.length === width * height))
    throw new RangeError(`mnistify: ${gray.length} pixels do not make a ${width}×${height} image`);
  const border = borderPixels(gray, width, height);
  if (width === SIDE && height === SIDE && mean(border) < 128) return gray.slice();

  // A light background means a dark digit on paper or a canvas: invert so ink is bright, and
  // measure ink from the background level so gray paper counts as none. Ink depends only on the
  // gray level, so a 256-entry table replaces per-pixel arithmetic on large images.
  const background = median(border);
  const invert = background >= 128;
  const floor = invert ? 255 - background : background;
  const levels = new Uint8Array(256);
  for (let i = 0, n = gray.length; i < n; i++) levels[gray[i] ?? 0] = 1;
  const ink = new Float32Array(256);
  let max = 0;
  for (let g = 0; g < 256; g++) {
    ink[g] = Math.max(0, (invert ? 255 - g : g) - floor);
    if (levels[g] && (ink[g] ?? 0) > max) max = ink[g] ?? 0;
  }
  if (max < MIN_CONTRAST) return new Uint8Array(PIXELS);
  // Faint ink is noise (paper grain, JPEG ringing): treat it as background.
  for (let g = 0; g < 256; g++) if ((ink[g] ?? 0) <= max * INK_THRESHOLD) ink[g] = 0;

  // Crop to the ink, leaving out isolated specks (dust, sensor noise) unless they are all there is.
  // A mask, not a Set: an image of scattered dots has tens of thousands of specks.
  const specks: Specks = { mask: new Uint8Array(width * height), size: 0 };
  let box = inkBox(gray, ink, width, height, specks);
  if (!box) {
    specks.size = 0;
    box = inkBox(gray, ink, width, height, null);
  }
  if (!box) return new Uint8Array(PIXELS);
  const cw = box.right - box.left + 1;
  const ch = box.bottom - box.top + 1;
  const crop = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = (box.top + y) * width + box.left + x;
      if (specks.size === 0 || !specks.mask[i]) crop[y * cw + x] = ink[gray[i] ?? 0] ?? 0;
    }
  }

  const scale = BOX / Math.max(cw, ch);
  const tw = Math.max(1, Math.round(cw * scale));
  const th = Math.max(1, Math.round(ch * scale));
  const digit = resize(crop, cw, ch, tw, th);

  // Place the digit so that its centre of mass lands on the frame's centre, clipping what falls outside.
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = digit[y * tw + x] ?? 0;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const dx = Math.round(CENTRE - mx / mass);
  const dy = Math.round(CENTRE - my / mass);
  const frame = new Float32Array(PIXELS);
  let peak = 0;
  for (let y = 0; y < th; y++) {
    const fy = y + dy;
    if (fy < 0 || fy >= SIDE) continue;
    for (let x = 0; x < tw; x++) {
      const fx = x + dx;
      if (fx < 0 || fx >= SIDE) continue;
      const v = digit[y * tw + x] ?? 0;
      frame[fy * SIDE + fx] = v;
      if (v > peak) peak = v;
    }
  }

  // MNIST strokes reach full intensity; stretch so the brightest pixel is 255.
  const out = new Uint8Array(PIXELS);
  if (peak <= 0) return out;
  for (let i = 0; i < PIXELS; i++) out[i] = Math.round(((frame[i] ?? 0) * 255) / peak);
  return out;
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Ink pixels set aside as specks: a mask over the image and how many it holds. */
interface Specks {
  mask: Uint8Array;
  size: number;
}

/**
 * Bounding box of the pixels with ink. When `specks` is given, ink pixels with no inked
 * neighbour found while looking for a row's first and last ink are collected there and left
 * out of the box; null when no pixel counts. Each row is scanned inward from both ends, so the
 * neighbour test runs only where ink starts, not on every ink pixel.
 */
function inkBox(gray: Uint8Array, ink: Float32Array, width: number, height: number, specks: Specks | null): Box | null {
  const box = { left: width, top: height, right: -1, bottom: -1 };
  const inked = (x: number, y: number) => (ink[gray[y * width + x] ?? 0] ?? 0) > 0;
  // Whether an inked pixel counts towards the box (or is a speck to set aside).
  const counts = (x: number, y: number) => {
    if (!specks || !isolated(inked, width, height, x, y)) return true;
    specks.mask[y * width + x] = 1;
    specks.size++;
    return false;
  };
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = 0;
    for (; first < width; first++) if (ink[gray[row + first] ?? 0] && counts(first, y)) break;
    if (first === width) continue;
    let last = width - 1;
    for (; last > first; last--) if (ink[gray[row + last] ?? 0] && counts(last, y)) break;
    if (first < box.left) box.left = first;
    if (last > box.right) box.right = last;
    if (y < box.top) box.top = y;
    box.bottom = y;
  }
  return box.right < 0 ? null : box;
}

function isolated(inked: (x: number, y: number) => boolean, width: number, height: number, x: number, y: number) {
  for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++)
    for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++)
      if ((nx !== x || ny !== y) && inked(nx, ny)) return false;
  return true;
}

function borderPixels(gray: Uint8Array, width: number, height: number): number[] {
  const out: number[] = [];
  for (let x = 0; x < width; x++) {
    out.push(gray[x] ?? 0);
    if (height > 1) out.push(gray[(height - 1) * width + x] ?? 0);
  }
  for (let y = 1; y < height - 1; y++) {
    out.push(gray[y * width] ?? 0);
    if (width > 1) out.push(gray[y * width + width - 1] ?? 0);
  }
  return out;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
