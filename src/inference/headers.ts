import { PayloadTooLargeError } from '../errors.js';
import { undecodable } from './pixels.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'bmp';

export interface Dimensions {
  width: number;
  height: number;
}

const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);
/**
 * Every scan of a progressive JPEG passes over the whole image again, and a valid file can hold
 * hundreds of them in a few kilobytes, each costing a pass. Encoders write about 10; 100 keeps
 * a 16-megapixel decode short (docs/performance.md).
 */
export const MAX_JPEG_SCANS = 100;
/** Marker segments before the frame header; real files have a dozen, libvips slows down on thousands. */
const MAX_JPEG_SEGMENTS = 1000;

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

/**
 * The size a decoder will allocate, read from the headers alone, so that a huge declared image
 * costs nothing to refuse. For GIF that is the largest frame as well as the logical screen
 * (libnsgif grows the canvas to a frame that overflows it); for WebP the canvas and the first
 * bitstream; JPEG's scan count is checked here too.
 */
export function readDimensions(buf: Uint8Array, format: ImageFormat): Dimensions {
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
      need(13, 'GIF');
      return gifDimensions(buf, dv);
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

/** Skips GIF data sub-blocks (a length byte, then that many bytes, until a zero length). */
function skipSubBlocks(buf: Uint8Array, at: number): number {
  while (at < buf.length && buf[at] !== 0) at += buf[at]! + 1;
  return at + 1;
}

function gifDimensions(buf: Uint8Array, dv: DataView): Dimensions {
  let width = dv.getUint16(6, true);
  let height = dv.getUint16(8, true);
  const flags = buf[10]!;
  let at = 13 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
  while (at < buf.length && buf[at] !== 0x3b) {
    if (buf[at] === 0x21) at = skipSubBlocks(buf, at + 2);
    else if (buf[at] === 0x2c) {
      if (at + 10 > buf.length) break; // truncated: libnsgif stops here too
      width = Math.max(width, dv.getUint16(at + 1, true) + dv.getUint16(at + 5, true));
      height = Math.max(height, dv.getUint16(at + 3, true) + dv.getUint16(at + 7, true));
      const local = buf[at + 9]!;
      at = skipSubBlocks(buf, at + 10 + (local & 0x80 ? 3 << ((local & 7) + 1) : 0) + 1);
    } else throw undecodable(`GIF has an unknown block 0x${buf[at]!.toString(16)} at byte ${at}`);
  }
  return { width, height };
}

function webpDimensions(buf: Uint8Array, dv: DataView): Dimensions {
  if (buf.length < 30) throw undecodable('WebP header is truncated');
  let size: Dimensions | undefined;
  const grow = (d: Dimensions) => {
    size = size ? { width: Math.max(size.width, d.width), height: Math.max(size.height, d.height) } : d;
  };
  // VP8X (the extended header) declares the canvas; the first bitstream declares its own size.
  for (let at = 12; at + 8 <= buf.length;) {
    const chunk = String.fromCharCode(...buf.subarray(at, at + 4));
    const length = dv.getUint32(at + 4, true);
    const data = at + 8;
    if (chunk === 'VP8X') {
      if (data + 10 > buf.length) throw undecodable('WebP header is truncated');
      const u24 = (p: number) => dv.getUint16(p, true) | (dv.getUint8(p + 2) << 16);
      grow({ width: u24(data + 4) + 1, height: u24(data + 7) + 1 });
    } else if (chunk === 'VP8L') {
      if (data + 5 > buf.length || buf[data] !== 0x2f) throw undecodable('WebP lossless header is corrupt');
      const bits = dv.getUint32(data + 1, true);
      grow({ width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 });
      break;
    } else if (chunk === 'VP8 ') {
      if (data + 10 > buf.length || buf[data + 3] !== 0x9d || buf[data + 4] !== 0x01 || buf[data + 5] !== 0x2a)
        throw undecodable('WebP lossy header is corrupt');
      grow({ width: dv.getUint16(data + 6, true) & 0x3fff, height: dv.getUint16(data + 8, true) & 0x3fff });
      break;
    } else if (chunk === 'ANMF') {
      break; // animation frames must lie inside the VP8X canvas (libwebp's demuxer checks)
    } else if (!size) {
      throw undecodable(`unknown WebP chunk "${chunk.replace(/[^\x20-\x7e]/g, '?')}"`);
    }
    at = data + length + (length & 1);
  }
  if (!size) throw undecodable('WebP has no image header');
  return size;
}

/**
 * Walks the JPEG marker segments up to the frame header (SOFn), which carries the size, then
 * counts the scans (SOS markers: 0xFF 0xDA cannot occur inside entropy-coded data, where every
 * 0xFF is followed by 0x00 or a restart marker).
 */
function jpegDimensions(buf: Uint8Array, dv: DataView): Dimensions {
  let at = 2;
  let size: Dimensions | undefined;
  for (let segments = 0; at + 4 <= buf.length; segments++) {
    if (segments > MAX_JPEG_SEGMENTS) throw undecodable(`JPEG has more than ${MAX_JPEG_SEGMENTS} marker segments`);
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
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or the first scan
    const isFrameHeader = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrameHeader) {
      if (at + 9 > buf.length) break;
      if (size) throw undecodable('JPEG has two frame headers');
      size = { width: dv.getUint16(at + 7), height: dv.getUint16(at + 5) };
    }
    at += 2 + dv.getUint16(at + 2);
  }
  if (!size) throw undecodable('JPEG has no frame header (truncated or corrupt)');
  const sos = Buffer.from([0xff, 0xda]);
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let scans = 0;
  for (let p = bytes.indexOf(sos, at); p >= 0; p = bytes.indexOf(sos, p + 2)) {
    if (++scans > MAX_JPEG_SCANS)
      throw new PayloadTooLargeError(
        `JPEG has more than ${MAX_JPEG_SCANS} scans; each one is a pass over the whole image, at most ${MAX_JPEG_SCANS} are decoded`,
        'IMAGE_TOO_COMPLEX',
      );
  }
  return size;
}
