/**
 * Tensors of the Open Inference Protocol (KServe V2) and Triton's binary tensor data extension:
 * one input tensor in, as 784-byte model inputs or encoded images, and the chosen outputs back
 * out, as JSON data or as little-endian bytes after the JSON. Every count is checked before the
 * elements it counts are read.
 */
import { InvalidInputError } from '../errors.js';
import { IMAGE_SIDE, INPUT_SIZE } from '../schemas/image-shape.js';
import {
  V2_DATATYPES,
  V2_INPUT_DATATYPES,
  V2_OUTPUTS,
  type V2OutputName,
  type V2RequestInput,
} from '../schemas/v2-inference.js';

/** What one input tensor holds: MNIST-form pixels, or encoded images to decode and convert. */
export type V2Inputs = { kind: 'pixels'; rows: Uint8Array[] } | { kind: 'images'; images: Buffer[] };

const bad = (message: string, code = 'INVALID_TENSOR') => new InvalidInputError(message, code);
const BYTES_PER: Record<string, number> = { FP32: 4, FP64: 8, UINT8: 1 };
const PIXEL_SHAPES = `[N, ${INPUT_SIZE}], [N, ${IMAGE_SIDE}, ${IMAGE_SIDE}] or [N, ${IMAGE_SIDE}, ${IMAGE_SIDE}, 1]`;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The batch size a shape implies, or a 400 naming the shapes this model takes. */
function batchOf(input: V2RequestInput, maxBatch: number): number {
  const { shape, datatype, name } = input;
  const s = `[${shape.join(', ')}]`;
  const pixels =
    (shape.length === 2 && shape[1] === INPUT_SIZE) ||
    (shape.length === 3 && shape[1] === IMAGE_SIDE && shape[2] === IMAGE_SIDE) ||
    (shape.length === 4 && shape[1] === IMAGE_SIDE && shape[2] === IMAGE_SIDE && shape[3] === 1);
  if (datatype === 'BYTES' && !(shape.length === 1 || (shape.length === 2 && shape[1] === 1)))
    throw bad(`input "${name}" has shape ${s}; BYTES images are shaped [N] or [N, 1]`, 'INVALID_SHAPE');
  if (datatype !== 'BYTES' && !pixels)
    throw bad(`input "${name}" has shape ${s}; ${datatype} pixels are shaped ${PIXEL_SHAPES}`, 'INVALID_SHAPE');
  const n = shape[0]!;
  if (n < 1) throw bad(`input "${name}" has shape ${s}: the batch must hold at least one image`, 'INVALID_SHAPE');
  if (n > maxBatch)
    throw bad(`input "${name}" holds ${n} images; at most ${maxBatch} in one request (MAX_BATCH)`, 'BATCH_TOO_LARGE');
  return n;
}

/** The datatype as one this model accepts, or a 400 saying whether it is unknown or only not accepted. */
function checkDatatype(input: V2RequestInput): void {
  const { datatype, name } = input;
  if ((V2_INPUT_DATATYPES as readonly string[]).includes(datatype)) return;
  if (!(V2_DATATYPES as readonly string[]).includes(datatype))
    throw bad(
      `input "${name}" has datatype "${datatype.slice(0, 16)}", which the protocol does not define`,
      'UNKNOWN_DATATYPE',
    );
  throw bad(
    `input "${name}" has datatype ${datatype}; this model takes ${V2_INPUT_DATATYPES.join(', ')}`,
    'UNSUPPORTED_DATATYPE',
  );
}

/**
 * Flattens JSON `data`, flat or nested, into exactly the `expected` elements of `shape`. Nested
 * data is held to the shape at every level (its innermost lists may hold the remaining
 * dimensions flat): a ragged or half-nested list would move pixels between images. Each list's
 * length is checked before its elements are read.
 */
function flatten(data: unknown[], shape: number[], expected: number, name: string): unknown[] {
  // How many levels of lists the data has, by its first elements; never more than the shape's.
  let levels = 1;
  for (let v: unknown = data[0]; Array.isArray(v); v = (v as unknown[])[0]) {
    if (++levels > shape.length) throw bad(`input "${name}": data is nested deeper than its shape`, 'SHAPE_MISMATCH');
  }
  const s = `[${shape.join(', ')}]`;
  // A list at level L holds shape[L] lists, or at the innermost level the rest of the elements.
  const lengthAt = (level: number) =>
    level < levels - 1 ? shape[level]! : shape.slice(level).reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  const walk = (value: unknown[], level: number) => {
    const want = lengthAt(level);
    if (value.length !== want)
      throw bad(
        levels === 1
          ? `input "${name}": data holds ${value.length} elements, its shape says ${expected}`
          : `input "${name}": a list of data at depth ${level} holds ${value.length} entries, shape ${s} says ${want}`,
        'SHAPE_MISMATCH',
      );
    const inner = level < levels - 1;
    for (const v of value) {
      if (Array.isArray(v) !== inner)
        throw bad(
          Array.isArray(v) && level + 1 >= shape.length
            ? `input "${name}": data is nested deeper than its shape`
            : `input "${name}": data mixes lists and values at depth ${level + 1}; nest it evenly or send it flat`,
          'SHAPE_MISMATCH',
        );
      if (inner) walk(v as unknown[], level + 1);
      else out.push(v);
    }
  };
  walk(data, 0);
  return out;
}

const toPixel = (v: number, at: number, name: string): number => {
  if (!(v >= 0 && v <= 255)) throw bad(`input "${name}": element ${at} is ${v}; pixel values must be 0–255`);
  return Math.round(v); // as /v1/predict does with fractions
};

function rowsRead(read: (i: number) => number, n: number, name: string): Uint8Array[] {
  const rows: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = new Uint8Array(INPUT_SIZE);
    for (let p = 0; p < INPUT_SIZE; p++) row[p] = toPixel(read(i * INPUT_SIZE + p), i * INPUT_SIZE + p, name);
    rows.push(row);
  }
  return rows;
}

/** Triton's BYTES layout: each element a 4-byte little-endian length, then its bytes. */
function splitBytes(raw: Buffer, n: number, name: string): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    if (out.length === n) throw bad(`input "${name}": binary data holds more than the ${n} elements its shape says`);
    if (at + 4 > raw.length) throw bad(`input "${name}": binary BYTES element ${out.length} has a truncated length`);
    const len = raw.readUInt32LE(at);
    at += 4;
    if (len > raw.length - at)
      throw bad(
        `input "${name}": binary BYTES element ${out.length} says ${len} bytes, only ${raw.length - at} follow`,
      );
    out.push(raw.subarray(at, at + len));
    at += len;
  }
  if (out.length !== n) throw bad(`input "${name}": binary data holds ${out.length} elements, its shape says ${n}`);
  return out;
}

/**
 * Reads the request's one input. `binary` is its slice of the body after the JSON header when
 * its parameters give `binary_data_size` (the caller has checked that the sizes add up).
 */
export function readV2Input(input: V2RequestInput, binary: Buffer | undefined, maxBatch: number): V2Inputs {
  checkDatatype(input);
  const n = batchOf(input, maxBatch);
  const { name, datatype } = input;
  if (binary !== undefined) {
    if (input.data !== undefined) throw bad(`input "${name}" has both data and binary_data_size; send one`);
    if (datatype === 'BYTES') return { kind: 'images', images: splitBytes(binary, n, name) };
    const size = BYTES_PER[datatype]!;
    const expected = n * INPUT_SIZE * size;
    if (binary.length !== expected)
      throw bad(
        `input "${name}": binary_data_size is ${binary.length} bytes, its shape and ${datatype} make ${expected}`,
        'BINARY_SIZE_MISMATCH',
      );
    // Read in place: a DataView takes the little-endian values at any offset of the body.
    const view = new DataView(binary.buffer, binary.byteOffset, binary.length);
    const read =
      datatype === 'UINT8'
        ? (i: number) => binary[i]!
        : datatype === 'FP32'
          ? (i: number) => view.getFloat32(i * 4, true)
          : (i: number) => view.getFloat64(i * 8, true);
    return { kind: 'pixels', rows: rowsRead(read, n, name) };
  }
  if (input.data === undefined) throw bad(`input "${name}" has neither data nor parameters.binary_data_size`);
  const elements = datatype === 'BYTES' ? n : n * INPUT_SIZE;
  const flat = flatten(input.data, input.shape, elements, name);
  if (datatype === 'BYTES')
    return {
      kind: 'images',
      images: flat.map((v, i) => {
        if (typeof v !== 'string' || !BASE64.test(v) || v.length % 4 !== 0)
          throw bad(`input "${name}": element ${i} is not a base64 string of an encoded image`);
        return Buffer.from(v, 'base64');
      }),
    };
  const values = flat.map((v, i) => {
    if (typeof v !== 'number') throw bad(`input "${name}": element ${i} is not a number`);
    // A fraction is no UINT8 value (binary UINT8 cannot hold one either); FP32 and FP64 round as /v1 does.
    if (datatype === 'UINT8' && !Number.isInteger(v))
      throw bad(`input "${name}": element ${i} is ${v}; UINT8 values are whole numbers 0–255`);
    return v;
  });
  return { kind: 'pixels', rows: rowsRead((i) => values[i]!, n, name) };
}

/** One output to answer: which, and whether in binary. */
export interface V2OutputChoice {
  name: V2OutputName;
  binary: boolean;
}

/** A true/false parameter, absent as undefined; anything else (a "true" string, a 1) is a 400, not a guess. */
function flag(value: unknown, where: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw bad(`${where} must be true or false, not ${JSON.stringify(value)?.slice(0, 32)}`, 'INVALID_PARAMETER');
}

/**
 * The outputs the request asks for (default: all three), each in binary when its own
 * `binary_data` says so, else as the request's `binary_data_output` says (default JSON).
 */
export function chooseOutputs(
  requested: { name: string; parameters?: Record<string, unknown> }[] | undefined,
  params: Record<string, unknown> | undefined,
): V2OutputChoice[] {
  const all = flag(params?.binary_data_output, 'parameters.binary_data_output') ?? false;
  if (!requested || requested.length === 0) return V2_OUTPUTS.map((name) => ({ name, binary: all }));
  const seen = new Set<string>();
  return requested.map((o) => {
    if (!(V2_OUTPUTS as readonly string[]).includes(o.name))
      throw bad(`unknown output "${o.name.slice(0, 64)}"; this model has ${V2_OUTPUTS.join(', ')}`, 'UNKNOWN_OUTPUT');
    if (seen.has(o.name)) throw bad(`output "${o.name}" is asked for twice`, 'UNKNOWN_OUTPUT');
    seen.add(o.name);
    const own = flag(o.parameters?.binary_data, `output "${o.name}" parameters.binary_data`);
    return { name: o.name as V2OutputName, binary: own ?? all };
  });
}

export interface V2Prediction {
  label: string;
  class: number;
  probabilities: number[];
}

export interface EncodedOutput {
  name: V2OutputName;
  datatype: string;
  shape: number[];
  parameters?: { binary_data_size: number };
  data?: (number | string)[];
}

/** The chosen outputs of a batch of predictions: JSON entries, and the binary parts that follow the JSON in order. */
export function encodeOutputs(
  predictions: V2Prediction[],
  choices: V2OutputChoice[],
): { outputs: EncodedOutput[]; binary: Buffer[] } {
  const n = predictions.length;
  const classes = predictions[0]?.probabilities.length ?? 0;
  const binary: Buffer[] = [];
  const outputs = choices.map(({ name, binary: asBinary }): EncodedOutput => {
    const datatype = name === 'probabilities' ? 'FP32' : name === 'class' ? 'INT64' : 'BYTES';
    const shape = name === 'probabilities' ? [n, classes] : [n];
    if (!asBinary) {
      const data =
        name === 'probabilities'
          ? predictions.flatMap((p) => p.probabilities.map((v) => Math.fround(v)))
          : predictions.map((p) => (name === 'class' ? p.class : p.label));
      return { name, datatype, shape, data };
    }
    let bytes: Buffer;
    if (name === 'probabilities') {
      bytes = Buffer.alloc(n * classes * 4);
      predictions.forEach((p, i) => p.probabilities.forEach((v, c) => bytes.writeFloatLE(v, (i * classes + c) * 4)));
    } else if (name === 'class') {
      bytes = Buffer.alloc(n * 8);
      predictions.forEach((p, i) => bytes.writeBigInt64LE(BigInt(p.class), i * 8));
    } else {
      bytes = Buffer.concat(
        predictions.flatMap((p) => {
          const text = Buffer.from(p.label, 'utf8');
          const len = Buffer.alloc(4);
          len.writeUInt32LE(text.length);
          return [len, text];
        }),
      );
    }
    binary.push(bytes);
    return { name, datatype, shape, parameters: { binary_data_size: bytes.length } };
  });
  return { outputs, binary };
}
