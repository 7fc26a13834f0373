import { PayloadTooLargeError } from '../errors.js';
import type { ImageLayout } from './headers.js';

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

/**
 * The estimate for a layout read from the headers (see headers.ts): `fileBytes` is the body's
 * length, which a BMP holds in memory while its worker reads it.
 */
export function decodeCost(layout: ImageLayout, fileBytes: number): DecodeCost {
  const pixels = layout.width * layout.height;
  switch (layout.format) {
    case 'png':
      return layout.progressive
        ? { bytes: pixels * BYTES_PER_PIXEL.whole, whole: 'an interlaced PNG' }
        : { bytes: pixels * BYTES_PER_PIXEL.png };
    case 'jpeg':
      return layout.progressive
        ? { bytes: pixels * PROGRESSIVE_JPEG_BYTES_PER_PIXEL, whole: 'a progressive JPEG' }
        : { bytes: pixels * BYTES_PER_PIXEL.jpeg };
    case 'webp':
      // Lossless, alpha and animation all decode to a full RGBA canvas; a plain lossy bitstream is scaled as it decodes.
      return layout.lossless || layout.hasAlpha || layout.pages > 1
        ? { bytes: pixels * BYTES_PER_PIXEL.whole, whole: 'a lossless, transparent or animated WebP' }
        : { bytes: pixels * BYTES_PER_PIXEL.webp };
    case 'gif':
      return { bytes: pixels * BYTES_PER_PIXEL.gif, whole: 'a GIF' };
    case 'bmp':
      // Read on the BMP worker straight to a shrunk luminance image: the file is the cost.
      return { bytes: fileBytes + pixels * BYTES_PER_PIXEL.bmp };
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
