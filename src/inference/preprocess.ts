/**
 * What the predict route needs to turn a request into model input: an uploaded image becomes
 * the 784 bytes (28×28) the model was trained on, by the model's own rule (`mnist` or `fit`);
 * JSON pixels are already in that form and are only validated.
 */
import { PayloadTooLargeError } from '../errors.js';
import { decodeImage, decodeInspected, inspectImage, type DecodeOptions, type InspectedImage } from './decode.js';
import { mnistify } from './mnistify.js';
import { letterbox } from './letterbox.js';
import type { Preprocess } from '../schemas/classes.js';

export { decodeImage, type DecodeOptions, type DecodedImage } from './decode.js';
export { mnistify } from './mnistify.js';
export { letterbox } from './letterbox.js';

/** The conversion of a rule: what training saw is what predict gives the model. */
export const convertByRule = (rule: Preprocess) => (rule === 'fit' ? letterbox : mnistify);
export { pixelsFromJson } from './pixels.js';

export interface RequestLimits {
  /** Pixels of one image (MAX_IMAGE_PIXELS). */
  maxImagePixels: number;
  /** Pixels of all the images of one request together (MAX_REQUEST_PIXELS). */
  maxRequestPixels: number;
  /** Estimated memory to decode one image (MAX_DECODE_MEMORY); default 64 MiB. */
  maxDecodeBytes?: number;
}

/** The digit ends up 20×20: a photo is first scaled down off the event loop, so the MNIST
 * conversion on it handles at most 512×512 pixels (docs/performance.md). */
const MAX_MNISTIFY_SIDE = 512;

/** Decodes an image (PNG, JPEG, WebP, GIF or BMP) and converts it by `rule` (default: the way MNIST was made). */
export async function preprocessImage(
  buf: Uint8Array,
  opts: DecodeOptions = {},
  rule: Preprocess = 'mnist',
): Promise<Uint8Array> {
  const { width, height, gray } = await decodeImage(buf, { maxSide: MAX_MNISTIFY_SIDE, ...opts });
  return convertByRule(rule)(gray, width, height);
}

/**
 * The images of one request: every header is read and checked first, and the request is
 * refused with a 413 when their declared pixels add up to more than `maxRequestPixels`, so a
 * batch of large images costs nothing to refuse. `where(i)`, if given, names image i in error messages.
 */
export async function preprocessImages(
  bufs: Uint8Array[],
  limits: RequestLimits,
  where?: (i: number) => string,
  rule: Preprocess = 'mnist',
): Promise<Uint8Array[]> {
  const convert = convertByRule(rule);
  const settled = await Promise.allSettled(
    bufs.map((buf) => inspectImage(buf, limits.maxImagePixels, limits.maxDecodeBytes)),
  );
  // The first bad image of the batch is the one named, whichever header was read first.
  const refused = settled.findIndex((r) => r.status === 'rejected');
  if (refused >= 0) throw prefixed((settled[refused] as PromiseRejectedResult).reason, where?.(refused));
  const inspected = settled.map((r) => (r as PromiseFulfilledResult<InspectedImage>).value);
  const total = inspected.reduce((sum, img) => sum + img.width * img.height, 0);
  if (total > limits.maxRequestPixels) {
    const count = (n: number) => n.toLocaleString('en-US');
    throw new PayloadTooLargeError(
      `${bufs.length === 1 ? 'the image has' : `the ${bufs.length} images add up to`} ${count(total)} pixels; ` +
        `at most ${count(limits.maxRequestPixels)} in one request (MAX_REQUEST_PIXELS)`,
      'TOO_MANY_PIXELS',
    );
  }
  // A request's bodies are read once: a large BMP's worker may take its memory rather than copy it.
  const opts = { maxPixels: limits.maxImagePixels, maxSide: MAX_MNISTIFY_SIDE, consume: true };
  const out: Uint8Array[] = new Array<Uint8Array>(bufs.length);
  let next = 0;
  // A few images of a batch at a time, each MNIST conversion on a turn of its own: a batch of
  // large images never holds the event loop for more than one conversion.
  const lane = async () => {
    for (let i = next++; i < inspected.length; i = next++) {
      try {
        const { width, height, gray } = await decodeInspected(inspected[i]!, opts);
        if (width * height > INLINE_PIXELS) await new Promise((resolve) => setImmediate(resolve));
        out[i] = convert(gray, width, height);
      } catch (err) {
        throw prefixed(err, where?.(i));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LANES, inspected.length) }, lane));
  return out;
}

/** Images converted at once per request, and the size below which a conversion needs no turn of its own. */
const LANES = 2;
const INLINE_PIXELS = 128 * 128;

/** Says which image of a batch was bad. */
function prefixed(err: unknown, where: string | undefined): unknown {
  if (where && err instanceof Error) err.message = `${where}: ${err.message}`;
  return err;
}
