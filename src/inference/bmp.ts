import { UnsupportedMediaTypeError } from '../errors.js';
import { undecodable, type Raster } from './pixels.js';

interface ChannelMask {
  shift: number;
  max: number;
  mask: number;
}

function channelMask(mask: number): ChannelMask {
  const m = mask >>> 0;
  if (m === 0) return { shift: 0, max: 0, mask: 0 };
  let shift = 0;
  while (((m >>> shift) & 1) === 0) shift++;
  return { shift, max: (m >>> shift) >>> 0, mask: m };
}

const extract = (px: number, c: ChannelMask) =>
  c.max === 0 ? 0 : Math.round((((px & c.mask) >>> c.shift) * 255) / c.max);

interface BmpHeader {
  dataOffset: number;
  headerSize: number;
  width: number;
  /** Negative for top-down rows. */
  rawHeight: number;
  height: number;
  bpp: number;
  compression: number;
  rowBytes: number;
  /** RGB triples, 256 entries (indices past the file's table read as black); null above 8 bits. */
  palette: Uint8Array | null;
}

/**
 * Reads and checks a BMP's headers: a pixel-data offset inside the headers or past the end,
 * pixel rows the file is too short to hold, unknown depths and compressions are refused here,
 * before any pixel is read.
 */
export function readBmpHeader(buf: Uint8Array): BmpHeader {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 30) throw undecodable('BMP header is truncated');
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  const core = headerSize === 12;
  if (!core && headerSize < 40) throw undecodable(`unknown BMP header size ${headerSize}`);
  if (14 + headerSize > buf.length) throw undecodable('BMP header is truncated');
  const width = core ? dv.getUint16(18, true) : dv.getInt32(18, true);
  const rawHeight = core ? dv.getUint16(20, true) : dv.getInt32(22, true);
  const height = Math.abs(rawHeight);
  const bpp = dv.getUint16(core ? 24 : 28, true);
  const compression = core ? 0 : dv.getUint32(30, true);
  if (compression === 1 || compression === 2)
    throw new UnsupportedMediaTypeError('RLE-compressed BMP images are not supported', 'UNSUPPORTED_IMAGE');
  if (compression !== 0 && compression !== 3 && compression !== 6)
    throw new UnsupportedMediaTypeError(`BMP compression ${compression} is not supported`, 'UNSUPPORTED_IMAGE');
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw undecodable(`BMP with ${bpp} bits per pixel`);
  if (width <= 0 || height === 0) throw undecodable(`header declares a ${width}×${height} image`);
  if (dataOffset < 14 + headerSize)
    throw undecodable(`BMP pixel data offset ${dataOffset} points into its ${14 + headerSize} bytes of headers`);

  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  const needed = dataOffset + rowBytes * height;
  if (needed > buf.length)
    throw undecodable(
      `BMP pixel data is truncated: ${width}×${height} at ${bpp} bits from offset ${dataOffset} needs ${needed.toLocaleString('en-US')} bytes, the file has ${buf.length.toLocaleString('en-US')}`,
    );

  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const entry = core ? 3 : 4;
    const count = (!core && dv.getUint32(46, true)) || 1 << bpp;
    const start = 14 + headerSize;
    if (start + count * entry > dataOffset) throw undecodable('BMP colour table is truncated');
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < Math.min(count, 256); i++) {
      const p = start + i * entry;
      palette.set([buf[p + 2] ?? 0, buf[p + 1] ?? 0, buf[p] ?? 0], i * 3);
    }
  }
  return { dataOffset, headerSize, width, rawHeight, height, bpp, compression, rowBytes, palette };
}

/**
 * Uncompressed BMP (1/4/8-bit palette, 16/24/32-bit, BI_BITFIELDS masks, bottom-up or
 * top-down). sharp does not read BMP, and the small npm BMP decoders each mishandle a common
 * layout (pixel-data offset ignored, palettes ignored, or channels misplaced), so it is read
 * here. RLE is refused rather than guessed at. Large files are decoded on a worker thread
 * (bmp-worker.ts), never on the API's event loop.
 */
export function decodeBmp(buf: Uint8Array): Raster {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const { dataOffset, headerSize, width, rawHeight, height, bpp, compression, rowBytes, palette } = readBmpHeader(buf);

  // Masks sit right after the 40-byte info header whether they belong to a V2+ header or follow it.
  const bitfields = compression === 3 || compression === 6;
  const [r, g, b, a] = bitfields
    ? [54, 58, 62, 66].map((at, i) => (i < 3 || compression === 6 || headerSize >= 56 ? dv.getUint32(at, true) : 0))
    : bpp === 16
      ? [0x7c00, 0x03e0, 0x001f, 0]
      : [0xff0000, 0x00ff00, 0x0000ff, 0];
  const masks = [r, g, b, a].map((m) => channelMask(m ?? 0));
  const hasAlpha = (bpp === 16 || bpp === 32) && (masks[3]?.max ?? 0) > 0;
  const channels = hasAlpha ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  let anyAlpha = false;

  for (let y = 0; y < height; y++) {
    const row = dataOffset + (rawHeight < 0 ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        const bit = x * bpp;
        const index = ((buf[row + (bit >> 3)] ?? 0) >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        out[o] = palette[index * 3] ?? 0;
        out[o + 1] = palette[index * 3 + 1] ?? 0;
        out[o + 2] = palette[index * 3 + 2] ?? 0;
      } else if (bpp === 24) {
        const p = row + x * 3;
        out[o] = buf[p + 2] ?? 0;
        out[o + 1] = buf[p + 1] ?? 0;
        out[o + 2] = buf[p] ?? 0;
      } else {
        const px = bpp === 16 ? dv.getUint16(row + x * 2, true) : dv.getUint32(row + x * 4, true);
        for (let c = 0; c < channels; c++) out[o + c] = extract(px, masks[c]!);
        if (hasAlpha && out[o + 3] !== 0) anyAlpha = true;
      }
    }
  }
  // Many writers declare an alpha mask but leave it zero; such images are meant to be opaque.
  if (hasAlpha && !anyAlpha) for (let i = 3; i < out.length; i += 4) out[i] = 255;
  return { width, height, channels, data: out, maxValue: 255 };
}

/**
 * Luminance read straight from the file for palette and 24-bit BMPs, which have no alpha: the
 * same values as decodeBmp then toGray, without a full-size RGB raster (48 MB for 4096²). With
 * `factor` ≥ 2, f×f blocks are averaged as the rows are read, so a 4096² file takes 2 MB of
 * sums, not 16 MB of pixels. Undefined for the other layouts.
 */
export function decodeBmpGray(
  buf: Uint8Array,
  factor = 1,
): { width: number; height: number; gray: Uint8Array } | undefined {
  const { dataOffset, width, rawHeight, height, bpp, compression, rowBytes, palette } = readBmpHeader(buf);
  if (!palette && !(bpp === 24 && compression === 0)) return undefined;
  const lum = (r: number, g: number, b: number) => Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  const lut = new Uint8Array(256);
  if (palette) for (let i = 0; i < 256; i++) lut[i] = lum(palette[i * 3]!, palette[i * 3 + 1]!, palette[i * 3 + 2]!);
  const f = Math.max(1, Math.floor(factor));
  const w = Math.ceil(width / f);
  const h = Math.ceil(height / f);
  const sums = f === 1 ? new Uint8Array(w * h) : new Uint32Array(w * h);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (rawHeight < 0 ? y : height - 1 - y) * rowBytes;
    const out = Math.floor(y / f) * w;
    for (let x = 0; x < width; x++) {
      let v: number;
      if (palette) {
        const bit = x * bpp;
        v = lut[((buf[row + (bit >> 3)] ?? 0) >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1)]!;
      } else {
        const p = row + x * 3;
        v = lum(buf[p + 2] ?? 0, buf[p + 1] ?? 0, buf[p] ?? 0);
      }
      sums[out + Math.floor(x / f)]! += v;
    }
  }
  if (f === 1) return { width, height, gray: sums as Uint8Array };
  const gray = new Uint8Array(w * h);
  for (let by = 0; by < h; by++) {
    const rows = Math.min(f, height - by * f);
    for (let bx = 0; bx < w; bx++) {
      const cols = Math.min(f, width - bx * f);
      gray[by * w + bx] = Math.round(sums[by * w + bx]! / (rows * cols));
    }
  }
  return { width: w, height: h, gray };
}
