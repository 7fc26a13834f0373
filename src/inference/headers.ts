import { PayloadTooLargeError } from '../errors.js';
import { undecodable } from './pixels.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'bmp';

export interface Dimensions {
  width: number;
  height: number;
}

/**
 * What the headers tell before anything is decoded: the size libvips will allocate and the
 * layout that decides whether it decodes in strips or whole (see decode-cost.ts). PNG's comes
 * from its IHDR, BMP's from its own header, the others' from sharp's metadata.
 */
export interface ImageLayout extends Dimensions {
  format: ImageFormat;
  /** An interlaced (Adam7) PNG or a progressive JPEG: sharp's `isProgressive`. */
  progressive: boolean;
  hasAlpha: boolean;
  /** Frames of an animation (1 otherwise). */
  pages: number;
  /** A lossless WebP bitstream (VP8L). */
  lossless: boolean;
}

const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);
/**
 * Every scan of a progressive JPEG passes over the whole image again, and a valid file can hold
 * hundreds of them in a few kilobytes, each costing a pass. Encoders write about 10; 100 keeps
 * a 16-megapixel decode short (docs/performance.md).
 */
export const MAX_JPEG_SCANS = 100;
/**
 * Marker segments before the first scan; real files have a dozen. libvips keeps every APP1 and
 * APP2 segment it reads: 2 million empty ones (8 MB) take it ~1 s and ~200 MB just to read the header.
 */
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

/** A BMP's declared size (sharp cannot read BMP, so it has a reader of its own, see bmp.ts). */
export function readBmpSize(buf: Uint8Array): Dimensions {
  if (buf.length < 26) throw undecodable('BMP header is truncated');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // The 12-byte OS/2 core header has 16-bit sizes; every later header has signed 32-bit ones.
  if (dv.getUint32(14, true) === 12) return { width: dv.getUint16(18, true), height: dv.getUint16(20, true) };
  return { width: dv.getInt32(18, true), height: Math.abs(dv.getInt32(22, true)) };
}

/**
 * Bounds what sharp's metadata and libjpeg do not: the marker segments before the first scan
 * (walked by their lengths, which skips an EXIF thumbnail's own markers) and the scans (SOS
 * markers: 0xFF 0xDA cannot occur inside entropy-coded data, where every 0xFF is followed by
 * 0x00 or a restart marker). The size and the layout come from sharp's metadata.
 */
export function checkJpegStructure(buf: Uint8Array): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 2;
  for (let segments = 0; at + 4 <= buf.length; segments++) {
    if (segments > MAX_JPEG_SEGMENTS) throw undecodable(`JPEG has more than ${MAX_JPEG_SEGMENTS} marker segments`);
    if (buf[at] !== 0xff) throw undecodable('JPEG marker structure is corrupt');
    const marker = buf[at + 1]!;
    if (marker === 0xff)
      at += 1; // fill byte before a marker
    else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8))
      at += 2; // markers without a length
    else if (marker === 0xd9 || marker === 0xda)
      break; // end of image, or the first scan
    else at += 2 + dv.getUint16(at + 2);
  }
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
}

/**
 * Whether a WebP's bitstream is lossless (VP8L). libvips does not say (its metadata has no such
 * field), so this reads the FourCCs of the RIFF chunks up to the bitstream: the first chunk, or
 * after an extended header (VP8X) the chunks before it, such as an ICC profile. Called once
 * sharp's metadata has accepted the file's structure.
 */
export function webpIsLossless(buf: Uint8Array): boolean {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = 12, n = 0; at + 8 <= buf.length && n < 64; n++) {
    const chunk = String.fromCharCode(buf[at]!, buf[at + 1]!, buf[at + 2]!, buf[at + 3]!);
    if (chunk === 'VP8L') return true;
    if (chunk === 'VP8 ') return false;
    const length = dv.getUint32(at + 4, true);
    at += 8 + length + (length & 1);
  }
  return false;
}
