import { inflateSync } from 'node:zlib';
import type { Raster } from './pixels.js';

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * Whether the PNG's first chunk is its only IHDR. A second IHDR could declare another size than
 * the one checked from the header, and some decoders would use it.
 */
export function hasSingleHeader(buf: Uint8Array): boolean {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headers = 0;
  for (let offset = 8; offset + 8 <= buf.length; offset += 12 + dv.getUint32(offset)) {
    const isHeader =
      buf[offset + 4] === 0x49 && buf[offset + 5] === 0x48 && buf[offset + 6] === 0x44 && buf[offset + 7] === 0x52;
    if (isHeader && (offset !== 8 || ++headers > 1)) return false;
  }
  return true;
}

/**
 * The common PNG in a few lines: 8-bit grey, grey+alpha, RGB or RGBA, not interlaced, without
 * palette or colour key — what canvases and image libraries write. Node's native inflate makes
 * this ~5× cheaper than a pure-JS decoder for a 28×28 image, which matters when every
 * prediction request carries one. Returns null for any other layout, or anything malformed,
 * and the general decoders take over (and phrase the error, if there is one).
 */
export function decodeSimplePng(buf: Uint8Array): Raster | null {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (offset + 12 <= buf.length) {
    const length = dv.getUint32(offset);
    const type = String.fromCharCode(buf[offset + 4]!, buf[offset + 5]!, buf[offset + 6]!, buf[offset + 7]!);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (data.length !== length) return null;
    // IHDR must come first and once: the size checked from the header is the size decoded.
    if ((type === 'IHDR') !== (offset === 8)) return null;
    if (type === 'IHDR') {
      width = dv.getUint32(offset + 8);
      height = dv.getUint32(offset + 12);
      const [depth, colour, compression, filter, interlace] = data.subarray(8, 13);
      channels = CHANNELS[colour!] ?? 0;
      if (depth !== 8 || channels === 0 || compression !== 0 || filter !== 0 || interlace !== 0) return null;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'PLTE' || type === 'tRNS') {
      return null;
    } else if (type === 'IEND') {
      ended = true;
      break;
    }
    offset += 12 + length;
  }
  if (!ended || width === 0 || height === 0 || idat.length === 0) return null;
  const stride = width * channels;
  let raw: Buffer;
  try {
    // The cap refuses data that inflates beyond what the header declares.
    raw = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat), { maxOutputLength: (stride + 1) * height });
  } catch {
    return null;
  }
  if (raw.length !== (stride + 1) * height) return null;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    if (!unfilter(raw[y * (stride + 1)]!, raw, y * (stride + 1) + 1, out, y * stride, stride, channels)) return null;
  }
  return { width, height, channels, data: out, maxValue: 255 };
}

/** Reverses one row's PNG filter into `out` (the previous row is already in `out`). */
function unfilter(kind: number, raw: Buffer, from: number, out: Uint8Array, at: number, stride: number, bpp: number) {
  const prev = at - stride; // start of the previous row in `out`; negative on the first row
  const hasUp = at >= stride;
  switch (kind) {
    case 0:
      for (let i = 0; i < stride; i++) out[at + i] = raw[from + i]!;
      return true;
    case 1:
      for (let i = 0; i < stride; i++) out[at + i] = (raw[from + i]! + (i >= bpp ? out[at + i - bpp]! : 0)) & 0xff;
      return true;
    case 2:
      for (let i = 0; i < stride; i++) out[at + i] = (raw[from + i]! + (hasUp ? out[prev + i]! : 0)) & 0xff;
      return true;
    case 3:
      for (let i = 0; i < stride; i++) {
        const left = i >= bpp ? out[at + i - bpp]! : 0;
        const up = hasUp ? out[prev + i]! : 0;
        out[at + i] = (raw[from + i]! + ((left + up) >> 1)) & 0xff;
      }
      return true;
    case 4:
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? out[at + i - bpp]! : 0;
        const b = hasUp ? out[prev + i]! : 0;
        const c = hasUp && i >= bpp ? out[prev + i - bpp]! : 0;
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        out[at + i] = (raw[from + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
      return true;
    default:
      return false;
  }
}
