import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import sharp from 'sharp';
import { DomainError, InvalidInputError, PayloadTooLargeError } from '../errors.js';
import { decodeBmp } from './bmp.js';
import { toGray, undecodable, type Raster } from './pixels.js';
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
