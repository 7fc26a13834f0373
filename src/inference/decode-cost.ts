import { PayloadTooLargeError } from '../errors.js';
import type { ImageFormat } from './headers.js';

/**
 * What decoding an image will take in memory, told from its headers before it starts. libvips
 * streams most images through in strips (a baseline JPEG even shrinks while it decodes), but
 * some layouts can only be decoded whole, at 4–6 bytes a pixel: every Adam7 pass of an
 * interlaced PNG covers the whole image, a progressive JPEG keeps all its coefficients, and
 * GIF and lossless or transparent WebP decode to a full RGBA canvas.
 */
export interface DecodeCost {
  bytes: number;
  /** Set when the layout is decoded whole: what to call it in a refusal. */
  whole?: string;
}

/** Peak bytes per pixel seen decoding a 4096×4096 image of each kind through sharp, rounded up. */
const BYTES_PER_PIXEL = { whole: 6, png: 3, jpeg: 1, webp: 1, gif: 6, bmp: 1 } as const;
/** A progressive JPEG keeps two bytes per coefficient per component: a third less than the rest. */
const PROGRESSIVE_JPEG_BYTES_PER_PIXEL = 4;

/** Tells the layout from the few header bytes that decide it. */
export function decodeCost(buf: Uint8Array, format: ImageFormat, width: number, height: number): DecodeCost {
  const pixels = width * height;
  switch (format) {
    case 'png':
      // IHDR's interlace method, at a fixed offset (the chunk structure is checked elsewhere).
      return buf[28] === 1
        ? { bytes: pixels * BYTES_PER_PIXEL.whole, whole: 'an interlaced PNG' }
        : { bytes: pixels * BYTES_PER_PIXEL.png };
    case 'jpeg':
      return progressiveJpeg(buf)
        ? { bytes: pixels * PROGRESSIVE_JPEG_BYTES_PER_PIXEL, whole: 'a progressive JPEG' }
        : { bytes: pixels * BYTES_PER_PIXEL.jpeg };
    case 'webp':
      return wholeWebp(buf)
        ? { bytes: pixels * BYTES_PER_PIXEL.whole, whole: 'a lossless, transparent or animated WebP' }
        : { bytes: pixels * BYTES_PER_PIXEL.webp };
    case 'gif':
      return { bytes: pixels * BYTES_PER_PIXEL.gif, whole: 'a GIF' };
    case 'bmp':
      // Read on the BMP worker straight to a shrunk luminance image: the file is the cost.
      return { bytes: buf.length + pixels * BYTES_PER_PIXEL.bmp };
  }
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;

/** A 413 for an image that would take more than `maxBytes` (MAX_DECODE_MEMORY) to decode. */
export function checkDecodeCost(cost: DecodeCost, width: number, height: number, maxBytes: number): void {
  if (cost.bytes <= maxBytes) return;
  const what = cost.whole ? `${cost.whole}, which is decoded whole` : 'an image';
  throw new PayloadTooLargeError(
    `image is ${width}×${height} ${what}: about ${mib(cost.bytes)} of memory to decode; at most ${mib(maxBytes)} ` +
      `(MAX_DECODE_MEMORY)${cost.whole ? '; send it smaller or in a layout decoded in strips (baseline JPEG, non-interlaced PNG)' : ''}`,
    'IMAGE_TOO_LARGE',
  );
}

/** SOF2, SOF6, SOF10 and SOF14 are the progressive frame types; the first SOFn found decides. */
function progressiveJpeg(buf: Uint8Array): boolean {
  for (let at = 2; at + 4 <= buf.length;) {
    if (buf[at] !== 0xff) return false;
    const marker = buf[at + 1]!;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return false;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce;
    at += 2 + ((buf[at + 2]! << 8) | buf[at + 3]!);
  }
  return false;
}

/**
 * Lossless (VP8L), alpha (ALPH, or VP8X's alpha flag 0x10) and animation (ANIM, ANMF, flag 0x02)
 * all decode to a full RGBA canvas; a plain lossy bitstream is scaled as it decodes.
 */
function wholeWebp(buf: Uint8Array): boolean {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = 12, n = 0; at + 8 <= buf.length && n < 64; n++) {
    const chunk = String.fromCharCode(...buf.subarray(at, at + 4));
    if (chunk === 'VP8X' && ((buf[at + 8] ?? 0) & 0x12) !== 0) return true;
    if (chunk === 'VP8L' || chunk === 'ALPH' || chunk === 'ANIM' || chunk === 'ANMF') return true;
    if (chunk === 'VP8 ') return false;
    const length = dv.getUint32(at + 4, true);
    at += 8 + length + (length & 1);
  }
  return false;
}
