import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import sharp from 'sharp';
import { DomainError, InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import { toGray, type Raster } from './pixels.js';
import { decodeSimplePng, hasSingleHeader } from './png.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'bmp';

export interface DecodeOptions {
  /** Largest accepted width × height; either side is also capped at 4096. */
  maxPixels?: number;
  /** Images decoded by sharp come out no wider or taller than this (aspect kept); default: as they are. */
  maxSide?: number;
}

export interface DecodedImage {
  width: number;
  height: number;
  /** Row-major luminance, one byte per pixel, transparency already composited away. */
  gray: Uint8Array;
}

const MAX_SIDE = 4096;
const DEFAULT_MAX_PIXELS = MAX_SIDE * MAX_SIDE;
/**
 * PNGs up to this size are decoded in JS on the calling thread: for the typical 28×28 canvas
 * that is several times cheaper than a round trip through sharp's thread pool (~1 ms). Around
 * 128×128 the two cost the same; above it sharp is as fast or faster and keeps the work off
 * the event loop.
 */
const FAST_PNG_MAX_PIXELS = 128 * 128;

const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

const undecodable = (why: string) => new InvalidInputError(`image could not be decoded: ${why}`, 'INVALID_IMAGE');

/** Decodes any supported image into 8-bit luminance. Size limits are enforced from the header, before decoding. */
export async function decodeImage(buf: Uint8Array, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const format = sniffFormat(buf);
  if (!format) throw new InvalidInputError('body is not a PNG, JPEG, WebP, GIF or BMP image', 'INVALID_IMAGE');
  const { width, height } = readDimensions(buf, format);
  checkSize(width, height, maxPixels);

  let raster: Raster;
  if (format === 'bmp') raster = await shrink(decodeBmpChecked(buf), opts.maxSide);
  else if (format === 'png' && !hasSingleHeader(buf)) throw undecodable('the PNG has more than one IHDR chunk');
  else if (format === 'png' && width * height <= FAST_PNG_MAX_PIXELS)
    raster = decodeSimplePng(buf) ?? decodePngFast(buf) ?? (await decodeWithSharp(buf, maxPixels));
  else raster = await decodeWithSharp(buf, maxPixels, opts.maxSide);
  return { width: raster.width, height: raster.height, gray: toGray(raster) };
}

/** Identifies the container from its magic bytes; a client's Content-Type is not trusted. */
export function sniffFormat(buf: Uint8Array): ImageFormat | null {
  const starts = (sig: readonly number[], at = 0) => sig.every((b, i) => buf[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts([0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'webp'; // RIFF....WEBP
  if (starts([0x47, 0x49, 0x46, 0x38]) && (buf[4] === 0x37 || buf[4] === 0x39) && buf[5] === 0x61) return 'gif';
  // "BM" alone is too weak a signature (plain text can start with it), so the DIB header size must be a known one.
  if (
    starts([0x42, 0x4d]) &&
    buf.length >= 26 &&
    BMP_HEADER_SIZES.has(new DataView(buf.buffer, buf.byteOffset).getUint32(14, true))
  )
    return 'bmp';
  return null;
}

/** Reads the declared size from the header alone, so a huge declared image costs nothing to refuse. */
export function readDimensions(buf: Uint8Array, format: ImageFormat): { width: number; height: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (n: number, what: string) => {
    if (buf.length < n) throw undecodable(`${what} header is truncated`);
  };
  switch (format) {
    case 'png':
      need(24, 'PNG');
      if (dv.getUint32(12) !== 0x49484452) throw undecodable('PNG does not start with an IHDR chunk');
      return { width: dv.getUint32(16), height: dv.getUint32(20) };
    case 'gif':
      need(10, 'GIF');
      return { width: dv.getUint16(6, true), height: dv.getUint16(8, true) };
    case 'bmp':
      need(26, 'BMP');
      // The 12-byte OS/2 core header has 16-bit sizes; every later header has signed 32-bit ones.
      if (dv.getUint32(14, true) === 12) return { width: dv.getUint16(18, true), height: dv.getUint16(20, true) };
      return { width: dv.getInt32(18, true), height: Math.abs(dv.getInt32(22, true)) };
    case 'webp':
      return webpDimensions(buf, dv);
    case 'jpeg':
      return jpegDimensions(buf, dv);
  }
}

function webpDimensions(buf: Uint8Array, dv: DataView): { width: number; height: number } {
  if (buf.length < 30) throw undecodable('WebP header is truncated');
  const chunk = String.fromCharCode(...buf.subarray(12, 16));
  if (chunk === 'VP8X') {
    const u24 = (at: number) => dv.getUint16(at, true) | (dv.getUint8(at + 2) << 16);
    return { width: u24(24) + 1, height: u24(27) + 1 };
  }
  if (chunk === 'VP8L') {
    if (buf[20] !== 0x2f) throw undecodable('WebP lossless header is corrupt');
    const bits = dv.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ') {
    if (buf[23] !== 0x9d || buf[24] !== 0x01 || buf[25] !== 0x2a) throw undecodable('WebP lossy header is corrupt');
    return { width: dv.getUint16(26, true) & 0x3fff, height: dv.getUint16(28, true) & 0x3fff };
  }
  throw undecodable(`unknown WebP chunk "${chunk.replace(/[^\x20-\x7e]/g, '?')}"`);
}

/** Walks the JPEG marker segments up to the frame header (SOFn), which carries the size. */
function jpegDimensions(buf: Uint8Array, dv: DataView): { width: number; height: number } {
  let at = 2;
  while (at + 4 <= buf.length) {
    if (buf[at] !== 0xff) throw undecodable('JPEG marker structure is corrupt');
    const marker = dv.getUint8(at + 1);
    if (marker === 0xff) {
      at += 1; // fill byte before a marker
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image or scan data before any frame header
    const length = dv.getUint16(at + 2);
    const isFrameHeader = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrameHeader) {
      if (at + 9 > buf.length) break;
      return { width: dv.getUint16(at + 7), height: dv.getUint16(at + 5) };
    }
    at += 2 + length;
  }
  throw undecodable('JPEG has no frame header (truncated or corrupt)');
}

function checkSize(width: number, height: number, maxPixels: number): void {
  if (width <= 0 || height <= 0) throw undecodable(`header declares a ${width}×${height} image`);
  if (width > MAX_SIDE || height > MAX_SIDE)
    throw new PayloadTooLargeError(
      `image is ${width}×${height} pixels; images may be at most ${MAX_SIDE}×${MAX_SIDE}`,
      'IMAGE_TOO_LARGE',
    );
  if (width * height > maxPixels)
    throw new PayloadTooLargeError(
      `image is ${width}×${height} pixels; images may have at most ${maxPixels} pixels`,
      'IMAGE_TOO_LARGE',
    );
}

/**
 * Decodes a PNG in pure JS. Returns null for the rare layouts left to sharp (grey or RGB with a
 * tRNS colour key, sub-byte grey) and for any file fast-png rejects, so that sharp has the final
 * word on what counts as corrupt and its message is the one the client sees.
 */
export function decodePngFast(buf: Uint8Array): Raster | null {
  try {
    const png = decodePng(buf, { checkCrc: true });
    const { width, height } = png;
    if (png.palette) {
      const rgb = convertIndexedToRgb(png);
      return { width, height, channels: rgb.length / (width * height), data: rgb, maxValue: 255 };
    }
    if (png.transparency || (png.depth !== 8 && png.depth !== 16)) return null;
    if (png.data.length !== width * height * png.channels) return null;
    return { width, height, channels: png.channels, data: png.data, maxValue: png.depth === 16 ? 65535 : 255 };
  } catch {
    return null;
  }
}

/** Decodes anything sharp reads: the first frame of animations, EXIF orientation applied, 8-bit sRGB out. */
export async function decodeWithSharp(
  buf: Uint8Array,
  maxPixels = DEFAULT_MAX_PIXELS,
  maxSide?: number,
): Promise<Raster> {
  try {
    let image = sharp(buf, {
      limitInputPixels: maxPixels,
      failOn: 'error',
      pages: 1,
      page: 0,
      autoOrient: true,
    });
    if (maxSide) image = image.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
    const { data, info } = await image.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels, data, maxValue: 255 };
  } catch (err) {
    // libvips messages name the loader and the problem; keep the first line only.
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : '';
    throw undecodable(message.trim().slice(0, 200) || 'unknown error');
  }
}

/** Scales a raster decoded in JS down to `maxSide` on sharp's thread pool, like sharp's own decodes. */
async function shrink(raster: Raster, maxSide: number | undefined): Promise<Raster> {
  if (!maxSide || Math.max(raster.width, raster.height) <= maxSide || raster.maxValue !== 255) return raster;
  const { width, height } = raster;
  const channels = raster.channels as 1 | 2 | 3 | 4;
  const { data, info } = await sharp(Uint8Array.from(raster.data), { raw: { width, height, channels } })
    .resize({ width: maxSide, height: maxSide, fit: 'inside' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data, maxValue: 255 };
}

function decodeBmpChecked(buf: Uint8Array): Raster {
  try {
    return decodeBmp(buf);
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw undecodable('BMP is truncated or corrupt'); // a read past the end of the buffer
  }
}

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

/**
 * Uncompressed BMP (1/4/8-bit palette, 16/24/32-bit, BI_BITFIELDS masks, bottom-up or
 * top-down). sharp does not read BMP, and the small npm BMP decoders each mishandle a common
 * layout (pixel-data offset ignored, palettes ignored, or channels misplaced), so it is read
 * here. RLE is refused rather than guessed at.
 */
export function decodeBmp(buf: Uint8Array): Raster {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  const core = headerSize === 12;
  if (!core && headerSize < 40) throw undecodable(`unknown BMP header size ${headerSize}`);
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

  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + rowBytes * height > buf.length) throw undecodable('BMP pixel data is truncated');

  let palette: Uint8Array | null = null; // RGB triples
  if (bpp <= 8) {
    const entry = core ? 3 : 4;
    const count = (!core && dv.getUint32(46, true)) || 1 << bpp;
    const start = 14 + headerSize;
    if (start + count * entry > dataOffset) throw undecodable('BMP colour table is truncated');
    palette = new Uint8Array(256 * 3); // indices past the table read as black
    for (let i = 0; i < Math.min(count, 256); i++) {
      const p = start + i * entry;
      palette.set([buf[p + 2] ?? 0, buf[p + 1] ?? 0, buf[p] ?? 0], i * 3);
    }
  }

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
