/**
 * What the predict route needs to turn a request into model input: an uploaded image becomes
 * the 784 bytes (28×28, white digit on black) the model was trained on; JSON pixels are
 * already in that form and are only validated.
 */
import { decodeImage, type DecodeOptions } from './decode.js';
import { mnistify } from './mnistify.js';

export { decodeImage, type DecodeOptions, type DecodedImage } from './decode.js';
export { mnistify } from './mnistify.js';
export { pixelsFromJson } from './pixels.js';

/** Decodes an image (PNG, JPEG, WebP, GIF or BMP) and converts it the way MNIST was made. */
export async function preprocessImage(buf: Uint8Array, opts: DecodeOptions = {}): Promise<Uint8Array> {
  // The digit ends up 20×20: a photo is first scaled down on sharp's thread pool, so the
  // MNIST conversion on the event loop handles at most 512×512 pixels (~5 ms, not ~30 ms).
  const { width, height, gray } = await decodeImage(buf, { maxSide: 512, ...opts });
  return mnistify(gray, width, height);
}
