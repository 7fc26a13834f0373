import sharp from 'sharp';
import { DomainError, InvalidInputError, PayloadTooLargeError, UnavailableError } from '../errors.js';
import { decodeBmp, readBmpHeader } from './bmp.js';
import { createBmpPool, type BmpPool } from './bmp-pool.js';
import { createGate } from './gate.js';
import { checkDecodeCost, decodeCost, type DecodeCost } from './decode-cost.js';
import {
  checkJpegStructure,
  readBmpSize,
  sniffFormat,
  webpIsLossless,
  type Dimensions,
  type ImageFormat,
  type ImageLayout,
} from './headers.js';
import { toGray, undecodable, type Raster } from './pixels.js';
import { decodeSimplePng, readPngLayout, readPngSize, type PngLayout } from './png.js';

export { sniffFormat, type ImageFormat, type ImageLayout } from './headers.js';

export interface DecodeOptions {
  /** Largest accepted width × height (MAX_IMAGE_PIXELS); either side is also capped at 4096. */
  maxPixels?: number;
  /** Images come out no wider or taller than this (aspect kept); default: as they are. */
  maxSide?: number;
  /** Most memory one image may take to decode, estimated from its header (MAX_DECODE_MEMORY). */
  maxDecodeBytes?: number;
  /** The caller is done with the bytes: a BMP worker may take their memory instead of a copy. */
  consume?: boolean;
}

export interface DecodedImage {
  width: number;
  height: number;
  /** Row-major luminance, one byte per pixel, transparency already composited away. */
  gray: Uint8Array;
}

/** An image whose header has been read and checked: what decoding it will cost, before it starts. */
export interface InspectedImage extends Dimensions {
  format: ImageFormat;
  buf: Uint8Array;
  /** A PNG's checked chunk structure, reused by the inline decoder. */
  png?: PngLayout;
  /** What decoding it will take in memory: its weight at the decoders' gate. */
  cost: DecodeCost;
}

export const MAX_SIDE = 4096;
const DEFAULT_MAX_PIXELS = MAX_SIDE * MAX_SIDE;
/** The default MAX_DECODE_MEMORY: a 4096² progressive JPEG fits, a 4096² interlaced PNG does not. */
export const DEFAULT_MAX_DECODE_BYTES = 64 * 1024 * 1024;
/**
 * The decode memory the process spends at once (estimates, see decode-cost.ts); an image over
 * it decodes alone. Measured peaks run to about twice the estimates of what is in flight.
 */
export const DECODE_BUDGET_BYTES = 32 * 1024 * 1024;
/**
 * Images up to this size are decoded on the calling thread: for the typical 28×28 canvas that
 * is several times cheaper than a round trip through sharp's thread pool or a worker.
 * Around 128×128 the two cost the same (docs/performance.md); above it the work leaves the event loop.
 */
const INLINE_MAX_PIXELS = 128 * 128;
/** sharp gives up on one image after this long (time spent waiting for a thread not counted). */
const SHARP_TIMEOUT_SECONDS = 10;

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Two decodes at once (sharp's take two of libuv's four threads, the others are storage's), and at
 * most DECODE_BUDGET_BYTES of estimated decode memory at a time, BMP workers' included (see gate.ts).
 */
const decodeGate = createGate(2, DECODE_BUDGET_BYTES, 512, 'images');
// Inputs never repeat, so libvips's operation cache (50 MB by default) would only hold memory.
sharp.cache(false);
// One libvips thread per image: the gate already runs two at once, and each thread of an image
// holds buffers of its own; the other core stays with the event loop.
sharp.concurrency(1);

let sharedBmpPool: BmpPool | undefined;
/** Large BMPs waiting for the gate or a worker, and how many may. */
let bmpWaiting = 0;
const BMP_MAX_WAITING = 32;
/** The process's BMP workers, started on the first large BMP. */
// One thread: a large BMP takes much memory while it decodes, and BMPs are rare (docs/performance.md).
const bmpPool = () => (sharedBmpPool ??= createBmpPool({ threads: 1 }));

/**
 * Sniffs the format and reads the declared size and layout from the headers alone (PNG's whole
 * chunk structure, JPEG's markers and scan count, what libvips reads of the others), refusing
 * sizes over the limits with a 413 and structures that lie with a 400, before anything is decoded.
 */
export async function inspectImage(
  buf: Uint8Array,
  maxPixels = DEFAULT_MAX_PIXELS,
  maxDecodeBytes = DEFAULT_MAX_DECODE_BYTES,
): Promise<InspectedImage> {
  const format = sniffFormat(buf);
  if (!format) throw new InvalidInputError('body is not a PNG, JPEG, WebP, GIF or BMP image', 'INVALID_IMAGE');
  let png: PngLayout | undefined;
  let layout: ImageLayout;
  if (format === 'png') {
    checkSize(readPngSize(buf), maxPixels); // a huge IHDR is refused whatever follows it
    png = readPngLayout(buf);
    layout = stillLayout(format, png, png.interlaced);
  } else if (format === 'bmp') {
    layout = stillLayout(format, checkSize(readBmpSize(buf), maxPixels));
  } else {
    if (format === 'jpeg') checkJpegStructure(buf);
    layout = await readSharpLayout(buf, format);
    checkSize(layout, maxPixels);
  }
  const { width, height } = layout;
  const cost = decodeCost(layout, buf.length);
  checkDecodeCost(cost, width, height, maxDecodeBytes);
  if (format === 'bmp') readBmpHeader(buf);
  return { format, width, height, buf, png, cost };
}

/** The layout of a PNG or a BMP, read from their own headers: one frame, alpha irrelevant to their cost. */
const stillLayout = (format: ImageFormat, { width, height }: Dimensions, progressive = false): ImageLayout => ({
  format,
  width,
  height,
  progressive,
  hasAlpha: false,
  pages: 1,
  lossless: false,
});

/** Decodes any supported image into 8-bit luminance. Size limits are enforced from the header, before decoding. */
export async function decodeImage(buf: Uint8Array, opts: DecodeOptions = {}): Promise<DecodedImage> {
  return decodeInspected(await inspectImage(buf, opts.maxPixels ?? DEFAULT_MAX_PIXELS, opts.maxDecodeBytes), opts);
}

/**
 * Decodes an image already inspected. Small PNGs and BMPs are decoded here; everything else
 * on sharp's thread pool (libvips reads exactly the rows the header declares, so a PNG bomb
 * is never inflated past them) and large BMPs on worker threads. Nothing falls back to a
 * decoder without those bounds.
 */
export async function decodeInspected(image: InspectedImage, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const { format, width, height, buf } = image;
  const inline = width * height <= INLINE_MAX_PIXELS;
  if (format === 'bmp') {
    if (inline) return grayOf(decodeBmpChecked(buf));
    // The worker holds the file and its rows while it reads: weighed like any decode. A BMP is
    // all body, held while it waits, so at most BMP_MAX_WAITING wait, as the pool's own queue allows.
    if (bmpWaiting >= BMP_MAX_WAITING)
      throw new UnavailableError(`${bmpWaiting} BMP images are waiting to be decoded; retry shortly`, 'DECODER_BUSY');
    bmpWaiting++;
    let decoded: DecodedImage;
    try {
      decoded = await decodeGate(image.cost.bytes, () => bmpPool().decode(buf, opts.maxSide, opts.consume));
    } finally {
      bmpWaiting--;
    }
    return shrinkGray(decoded, opts.maxSide);
  }
  const simple = format === 'png' && inline ? decodeSimplePng(buf, image.png) : null;
  const raster =
    simple ?? (await decodeWithSharp(buf, opts.maxPixels ?? DEFAULT_MAX_PIXELS, opts.maxSide, image.cost.bytes));
  return grayOf(raster);
}

const grayOf = (raster: Raster): DecodedImage => ({ width: raster.width, height: raster.height, gray: toGray(raster) });

function checkSize<T extends Dimensions>(size: T, maxPixels: number): T {
  const { width, height } = size;
  if (width <= 0 || height <= 0) throw undecodable(`header declares a ${width}×${height} image`);
  if (width > MAX_SIDE || height > MAX_SIDE)
    throw new PayloadTooLargeError(
      `image is ${width}×${height} pixels; images may be at most ${MAX_SIDE}×${MAX_SIDE}`,
      'IMAGE_TOO_LARGE',
    );
  if (width * height > maxPixels)
    throw new PayloadTooLargeError(
      `image is ${width}×${height} = ${count(width * height)} pixels; at most ${count(maxPixels)} (MAX_IMAGE_PIXELS)`,
      'IMAGE_TOO_LARGE',
    );
  return size;
}

/** How sharp opens every image: the first frame of animations, corrupt data refused rather than filled in. */
const SHARP_INPUT = { failOn: 'error', pages: 1, page: 0 } as const;

/**
 * JPEG, WebP and GIF sizes and layouts as libvips reads them: the GIF canvas grown to its
 * largest frame, whether a JPEG is progressive, a WebP's alpha and frames. Only headers are read,
 * nothing is allocated for pixels, so no pixel limit applies here: the declared size is checked
 * right after, named in the 413, and libvips checks it again when decoding.
 */
async function readSharpLayout(buf: Uint8Array, format: 'jpeg' | 'webp' | 'gif'): Promise<ImageLayout> {
  let meta: sharp.Metadata;
  try {
    // Through the gate all the same: it runs on libuv's threads, and a GIF of many frames takes a while.
    meta = await decodeGate(buf.length, () => sharp(buf, { ...SHARP_INPUT, limitInputPixels: false }).metadata());
  } catch (err) {
    throw sharpError(err);
  }
  if (meta.format !== format) throw undecodable(`the ${format.toUpperCase()} header could not be read`);
  const { width = 0, height = 0, isProgressive = false, hasAlpha = false, pages = 1 } = meta;
  const lossless = format === 'webp' && webpIsLossless(buf);
  return { format, width, height, progressive: isProgressive, hasAlpha, pages, lossless };
}

/** A DomainError (the gate's 503) as it is; libvips's messages name the loader and the problem: the first line only. */
function sharpError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : '';
  return undecodable(message.trim().slice(0, 200) || 'unknown error');
}

/**
 * Decodes anything sharp reads: the first frame of animations, EXIF orientation applied, 8-bit
 * sRGB out. `limitInputPixels` repeats the header check inside libvips, `failOn: 'error'` refuses
 * truncated and corrupt data instead of filling it in, and the timeout bounds a pathological file.
 */
export async function decodeWithSharp(
  buf: Uint8Array,
  maxPixels = DEFAULT_MAX_PIXELS,
  maxSide?: number,
  /** The estimated decode memory: what the decode weighs against the gate's budget (unknown: all of it). */
  weight = DECODE_BUDGET_BYTES,
): Promise<Raster> {
  try {
    let image = sharp(buf, { ...SHARP_INPUT, limitInputPixels: maxPixels, autoOrient: true }).timeout({
      seconds: SHARP_TIMEOUT_SECONDS,
    });
    if (maxSide) image = image.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
    const { data, info } = await decodeGate(weight, () =>
      image.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }),
    );
    return { width: info.width, height: info.height, channels: info.channels, data, maxValue: 255 };
  } catch (err) {
    throw sharpError(err);
  }
}

/** Scales a luminance image decoded off sharp down to `maxSide` on sharp's thread pool. */
async function shrinkGray(image: DecodedImage, maxSide: number | undefined): Promise<DecodedImage> {
  const { width, height, gray } = image;
  if (!maxSide || Math.max(width, height) <= maxSide) return image;
  const { data, info } = await decodeGate(width * height * 2, () =>
    sharp(gray, { raw: { width, height, channels: 1 } })
      .resize({ width: maxSide, height: maxSide, fit: 'inside' })
      .toColourspace('b-w') // one channel out, as it came in (sharp writes sRGB by default)
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
  return { width: info.width, height: info.height, gray: data };
}

function decodeBmpChecked(buf: Uint8Array): Raster {
  try {
    return decodeBmp(buf);
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw undecodable('BMP is truncated or corrupt'); // a read past the end of the buffer
  }
}
