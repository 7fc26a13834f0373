import sharp from 'sharp';
import { pngChunk, PNG_SIGNATURE } from './png.js';

export { pngChunk, PNG_SIGNATURE } from './png.js';

/** An RGBA canvas in memory, so that tests know every pixel they encode. */
export interface Canvas {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export type Rgba = readonly [number, number, number, number];

export function canvas(width: number, height: number, background: Rgba): Canvas {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i += 4) rgba.set(background, i);
  return { width, height, rgba };
}

export function fillRect(c: Canvas, x0: number, y0: number, x1: number, y1: number, colour: Rgba): Canvas {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) c.rgba.set(colour, (y * c.width + x) * 4);
  return c;
}

/** A thick "Γ": a vertical and a horizontal bar, drawn near the top-left corner of a 200×200 canvas. */
export function cornerDigit(background: Rgba, ink: Rgba): Canvas {
  const c = canvas(200, 200, background);
  fillRect(c, 20, 15, 35, 95, ink);
  return fillRect(c, 20, 15, 80, 30, ink);
}

/** Keeps the first `channels` samples of each RGBA pixel (1 = red only, fine for gray canvases). */
export function channelsOf(c: Canvas, channels: 1 | 2 | 3 | 4): Uint8Array {
  const out = new Uint8Array(c.width * c.height * channels);
  for (let p = 0; p < c.width * c.height; p++) {
    if (channels === 2) out.set([c.rgba[p * 4] ?? 0, c.rgba[p * 4 + 3] ?? 0], p * 2);
    else out.set(c.rgba.subarray(p * 4, p * 4 + channels), p * channels);
  }
  return out;
}

export function toSharp(c: Canvas, channels: 1 | 3 | 4 = 4): sharp.Sharp {
  return sharp(channelsOf(c, channels), { raw: { width: c.width, height: c.height, channels } });
}

export const luminance = (r: number, g: number, b: number) => Math.round(0.299 * r + 0.587 * g + 0.114 * b);

/** A PNG signature and a valid IHDR declaring the given size, with no image data after it. */
export function pngHeader(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, adaptive filter, no interlace
  return Buffer.concat([Buffer.from(PNG_SIGNATURE), pngChunk('IHDR', ihdr)]);
}

/**
 * The headers of a baseline grey JPEG declaring the size, up to its first scan and no further:
 * all that libjpeg reads for the header (sharp's metadata), none of the data the size needs.
 */
export function jpegHeader(width: number, height: number): Uint8Array {
  const app0 = [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  return Uint8Array.from([
    0xff,
    0xd8,
    ...jpegSegment(0xe0, app0),
    ...jpegSegment(0xdb, [0, ...Array<number>(64).fill(1)]),
    ...jpegSegment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    ...jpegSegment(0xc4, [0x00, 1, ...Array<number>(15).fill(0), 0]),
    ...jpegSegment(0xc4, [0x10, 1, ...Array<number>(15).fill(0), 0]),
    ...jpegSegment(0xda, [1, 1, 0x00, 0, 63, 0]),
  ]);
}

/** A GIF whose logical screen and only frame declare the size, over a few bytes of image data. */
export function gifHeader(width: number, height: number): Uint8Array {
  return gifWithFrame([width, height], [width, height]);
}

/**
 * An extended WebP (VP8X) header, whose 24-bit fields can declare sizes far beyond the limit,
 * then the 5-byte header of a lossless bitstream (VP8L) of the same size (14-bit fields: WebP
 * images are at most 16383×16383) and none of its data.
 */
export function webpHeader(width: number, height: number): Uint8Array {
  const out = new Uint8Array(44);
  const dv = new DataView(out.buffer);
  out.set(Buffer.from('RIFF'), 0);
  dv.setUint32(4, out.length - 8, true);
  out.set(Buffer.from('WEBPVP8X'), 8);
  dv.setUint32(16, 10, true);
  dv.setUint32(24, width - 1, true); // 24-bit fields; the next write overwrites the 4th byte
  dv.setUint32(27, (height - 1) & 0xffffff, true);
  out.set(Buffer.from('VP8L'), 30);
  dv.setUint32(34, 5, true);
  out[38] = 0x2f; // the VP8L signature
  dv.setUint32(39, ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14), true);
  return out;
}

export interface BmpOptions {
  bpp: 1 | 4 | 8 | 24 | 32;
  topDown?: boolean;
  /** For 1/4/8-bit: the colour table; pixels are then indices. */
  palette?: Rgba[];
  /** For 1/4/8-bit: one palette index per pixel. */
  indices?: Uint8Array;
  /** Bytes of padding between the colour table and the pixels, as some writers leave. */
  gap?: number;
  compression?: number;
}

/** Writes a BMP by hand (sharp cannot), with a 40-byte info header; 32-bit uses BI_BITFIELDS with alpha. */
export function bmp(c: Canvas, opts: BmpOptions): Uint8Array {
  const { bpp, gap = 0 } = opts;
  const v5 = bpp === 32;
  const headerSize = v5 ? 124 : 40;
  const paletteBytes = bpp <= 8 ? (1 << bpp) * 4 : 0;
  const dataOffset = 14 + headerSize + paletteBytes + gap;
  const rowBytes = Math.ceil((c.width * bpp) / 32) * 4;
  const out = new Uint8Array(dataOffset + rowBytes * c.height);
  const dv = new DataView(out.buffer);
  out.set([0x42, 0x4d]);
  dv.setUint32(2, out.length, true);
  dv.setUint32(10, dataOffset, true);
  dv.setUint32(14, headerSize, true);
  dv.setInt32(18, c.width, true);
  dv.setInt32(22, opts.topDown ? -c.height : c.height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, bpp, true);
  dv.setUint32(30, opts.compression ?? (v5 ? 3 : 0), true);
  if (v5) [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000].forEach((m, i) => dv.setUint32(54 + i * 4, m, true));
  (opts.palette ?? []).forEach(([r, g, b], i) => out.set([b, g, r, 0], 14 + headerSize + i * 4));
  for (let y = 0; y < c.height; y++) {
    const row = dataOffset + (opts.topDown ? y : c.height - 1 - y) * rowBytes;
    for (let x = 0; x < c.width; x++) {
      const p = y * c.width + x;
      const [r = 0, g = 0, b = 0, a = 0] = c.rgba.subarray(p * 4, p * 4 + 4);
      if (bpp <= 8) out[row + ((x * bpp) >> 3)]! |= (opts.indices?.[p] ?? 0) << (8 - bpp - ((x * bpp) & 7));
      else if (bpp === 24) out.set([b, g, r], row + x * 3);
      else out.set([b, g, r, a], row + x * 4);
    }
  }
  return out;
}

/** Deterministic noise, so a failure can be replayed. */
export function pseudoRandomBytes(n: number, seed = 12345): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

export function centreOfMass(img: Uint8Array, side = 28): { x: number; y: number } {
  let m = 0;
  let mx = 0;
  let my = 0;
  img.forEach((v, i) => {
    m += v;
    mx += v * (i % side);
    my += v * Math.floor(i / side);
  });
  return { x: mx / m, y: my / m };
}

export function boundingBox(img: Uint8Array, side = 28): { width: number; height: number } {
  let left = side;
  let right = -1;
  let top = side;
  let bottom = -1;
  img.forEach((v, i) => {
    if (v === 0) return;
    const x = i % side;
    const y = Math.floor(i / side);
    left = Math.min(left, x);
    right = Math.max(right, x);
    top = Math.min(top, y);
    bottom = Math.max(bottom, y);
  });
  return { width: right - left + 1, height: bottom - top + 1 };
}

export function border(img: Uint8Array, side = 28): number[] {
  const out: number[] = [];
  for (let i = 0; i < side; i++)
    out.push(img[i] ?? -1, img[(side - 1) * side + i] ?? -1, img[i * side] ?? -1, img[i * side + side - 1] ?? -1);
  return out;
}

/** A JPEG marker segment: marker, big-endian length (itself included), data. */
const jpegSegment = (marker: number, data: number[]) => [
  0xff,
  marker,
  (data.length + 2) >> 8,
  (data.length + 2) & 255,
  ...data,
];

/** Entropy-coded bits, most significant first, with 0xFF bytes stuffed and the last byte padded with ones. */
function bitWriter() {
  const out: number[] = [];
  let acc = 0;
  let n = 0;
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++n === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0);
        acc = 0;
        n = 0;
      }
    }
  };
  return {
    put,
    end() {
      if (n) put(0xff, 8 - n);
      return out;
    },
  };
}

/**
 * A valid progressive JPEG of a flat grey image made of `scans` scans: one DC scan, then AC
 * scans (one coefficient each, then its successive-approximation refinements), each a run of
 * end-of-block codes over every block. Tiny on the wire, one pass over the whole image per scan:
 * the many-scans attack on JPEG decoders.
 */
export function manyScanJpeg(width: number, height: number, scans: number): Uint8Array {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const rest = blocks % 32767;
  const restBits = rest ? Math.floor(Math.log2(rest)) : 0;
  const bytes: number[] = [0xff, 0xd8];
  bytes.push(...jpegSegment(0xdb, [0, ...Array<number>(64).fill(1)]));
  bytes.push(...jpegSegment(0xc2, [8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0]));
  // DC: one symbol (difference 0), code "0". AC: EOB14 ("0") and the EOB run of the remainder ("10").
  bytes.push(...jpegSegment(0xc4, [0x00, 1, ...Array<number>(15).fill(0), 0]));
  bytes.push(...jpegSegment(0xc4, [0x10, 1, 1, ...Array<number>(14).fill(0), 0xe0, restBits << 4]));
  const sos = (ss: number, se: number, ah: number, al: number) =>
    jpegSegment(0xda, [1, 1, 0x00, ss, se, (ah << 4) | al]);
  const dc = bitWriter();
  for (let i = 0; i < blocks; i++) dc.put(0, 1);
  bytes.push(...sos(0, 0, 0, 0), ...dc.end());
  const ac = bitWriter();
  let left = blocks;
  for (; left >= 32767; left -= 32767) {
    ac.put(0, 1);
    ac.put(32767 - 16384, 14);
  }
  if (left) {
    ac.put(2, 2);
    ac.put(left - (1 << restBits), restBits);
  }
  const acData = ac.end();
  let written = 1;
  for (let k = 1; k <= 63 && written < scans; k++)
    for (let al = 10; al >= 0 && written < scans; al--, written++)
      bytes.push(...(al === 10 ? sos(k, k, 0, 10) : sos(k, k, al + 1, al)), ...acData);
  bytes.push(0xff, 0xd9);
  return Uint8Array.from(bytes);
}

/** A GIF whose logical screen and first frame declare different sizes; the frame's data is a clear code and little else. */
export function gifWithFrame(screen: [number, number], frame: [number, number]): Uint8Array {
  const u16 = (v: number) => [v & 0xff, v >> 8];
  return Uint8Array.from([
    ...Buffer.from('GIF89a'),
    ...u16(screen[0]),
    ...u16(screen[1]),
    0x80,
    0,
    0,
    ...[0, 0, 0, 255, 255, 255],
    0x2c,
    ...u16(0),
    ...u16(0),
    ...u16(frame[0]),
    ...u16(frame[1]),
    0,
    2,
    2,
    0x04,
    0x05,
    0,
    0x3b,
  ]);
}
