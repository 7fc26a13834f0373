/**
 * TensorFlow Serving's REST predict request: `instances` (one entry per image, row format) or
 * `inputs` (the batch as one tensor, columnar format), each image 784 pixels 0–255 (flat, 28×28
 * or 28×28×1) or `{"b64": "…"}` holding an encoded image. A named input (`{"input": …}`) is
 * unwrapped. Counts are checked before the elements they count are read.
 */
import { InvalidInputError } from '../errors.js';
import { IMAGE_SIDE } from '../schemas/image-shape.js';
import { pixelsFromJson } from './pixels.js';

/** One image of the batch: MNIST-form pixels, or an encoded image still to decode. */
export type TfItem = { pixels: Uint8Array } | { image: Buffer };

const bad = (message: string) => new InvalidInputError(message, 'INVALID_INSTANCES');
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `{"b64": …}` as bytes, `{"<input>": value}` unwrapped once, or undefined for anything else. */
function unwrap(value: Record<string, unknown>, where: string): { image: Buffer } | { inner: unknown } {
  const keys = Object.keys(value);
  if (keys.length !== 1) throw bad(`${where}: expected {"b64": …} or one named input, got ${keys.length} keys`);
  const [key] = keys as [string];
  if (key === 'b64') {
    const text = value.b64;
    if (typeof text !== 'string' || text.length % 4 !== 0 || !BASE64.test(text))
      throw bad(`${where}: "b64" must hold a base64 string of an encoded image`);
    return { image: Buffer.from(text, 'base64') };
  }
  return { inner: value[key] };
}

/** 28 rows of 28 one-value arrays (a [28, 28, 1] image) as 28 rows of 28. */
function squeeze(value: unknown[], where: string): unknown[] {
  if (!Array.isArray(value[0]) || !Array.isArray((value[0] as unknown[])[0])) return value;
  if (value.length !== IMAGE_SIDE) throw bad(`${where}: expected ${IMAGE_SIDE} rows, got ${value.length}`);
  return value.map((row, r) => {
    if (!Array.isArray(row) || row.length !== IMAGE_SIDE) throw bad(`${where}: row ${r} is not ${IMAGE_SIDE} pixels`);
    return row.map((px: unknown, c) => {
      if (!Array.isArray(px) || px.length !== 1) throw bad(`${where}: pixel [${r}][${c}] is not a one-channel value`);
      return px[0];
    });
  });
}

function itemOf(value: unknown, where: string, depth = 0): TfItem {
  if (isObject(value)) {
    const open = unwrap(value, where);
    if ('image' in open) return open;
    if (depth > 0) throw bad(`${where}: a named input may not hold another`);
    return itemOf(open.inner, where, depth + 1);
  }
  if (!Array.isArray(value)) throw bad(`${where}: expected 784 pixel values or {"b64": …}`);
  const rows = squeeze(value, where); // its errors name `where` already
  try {
    return { pixels: pixelsFromJson(rows) };
  } catch (err) {
    throw bad(`${where}: ${(err as Error).message}`);
  }
}

/** The images of a TF Serving predict body, at most `maxBatch`, and the format to answer in. */
export function readTfRequest(
  body: { instances?: unknown; inputs?: unknown },
  maxBatch: number,
): { items: TfItem[]; columnar: boolean } {
  const columnar = body.inputs !== undefined;
  if (columnar === (body.instances !== undefined))
    throw bad('send "instances" (row format) or "inputs" (columnar format), one of them');
  let batch = columnar ? body.inputs : body.instances;
  // Columnar with the input named: {"inputs": {"input": [...]}}; a lone {"b64"} is a batch of one.
  if (columnar && isObject(batch)) {
    const open = unwrap(batch, 'inputs');
    const lone = (v: unknown) => isObject(v) && 'b64' in v; // one encoded image, named or not
    batch = 'image' in open ? [batch] : lone(open.inner) ? [open.inner] : open.inner;
  }
  const name = columnar ? 'inputs' : 'instances';
  if (!Array.isArray(batch)) throw bad(`"${name}" must be a list of images`);
  if (batch.length === 0) throw bad(`"${name}" is empty`);
  // A single image sent without its batch dimension: 784 numbers, or 28 rows of numbers.
  if (
    typeof batch[0] === 'number' ||
    (Array.isArray(batch[0]) &&
      typeof batch[0][0] === 'number' &&
      batch.length === IMAGE_SIDE &&
      batch[0].length === IMAGE_SIDE)
  )
    throw bad(`"${name}" must be a list of images: wrap one image in a list`);
  if (batch.length > maxBatch)
    throw new InvalidInputError(
      `${batch.length} images in one request; at most ${maxBatch} (MAX_BATCH)`,
      'BATCH_TOO_LARGE',
    );
  return { items: batch.map((v, i) => itemOf(v, `${name}[${i}]`)), columnar };
}
