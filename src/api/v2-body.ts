import type { FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';
import { V2InferRequestSchema, type V2InferRequest } from '../schemas/v2-inference.js';
import { compileChecker } from '../validation.js';

/** Triton's binary tensor data extension: the JSON's length when binary tensors follow it. */
export const HEADER_LENGTH = 'inference-header-content-length';

const checkRequest = compileChecker(V2InferRequestSchema, 'body');
const count = (n: number) => n.toLocaleString('en-US');

/** The inference request of a V2 body, and each input's binary part (undefined when in JSON). */
export interface V2Body {
  request: V2InferRequest;
  binaries: (Buffer | undefined)[];
}

function parseHeader(text: Buffer): unknown {
  if (text.length === 0) throw new BadRequestError('the JSON of the request is empty', 'EMPTY_BODY');
  try {
    return sjson.parse(text.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    throw new BadRequestError(`the request's JSON is not valid: ${(err as Error).message}`, 'INVALID_JSON');
  }
}

/** The declared JSON length, or a 400 when it is not a whole number within the body. */
function headerLength(raw: string | string[] | undefined, bodyLength: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  if (!/^\d{1,12}$/.test(text.trim()))
    throw new BadRequestError(
      `Inference-Header-Content-Length is "${text.slice(0, 40)}"; it must be the JSON's length in bytes`,
      'BAD_HEADER_LENGTH',
    );
  const n = Number(text.trim());
  if (n === 0 || n > bodyLength)
    throw new BadRequestError(
      `Inference-Header-Content-Length says ${count(n)} bytes of JSON, the body has ${count(bodyLength)}`,
      'BAD_HEADER_LENGTH',
    );
  return n;
}

/**
 * Splits a V2 body: all JSON, or (with Inference-Header-Content-Length) JSON then the binary
 * inputs in order, each `parameters.binary_data_size` long; the sizes must add up to the bytes
 * after the JSON exactly. The JSON part is held to `jsonLimit` bytes whichever way it arrives.
 */
export function readV2Body(request: FastifyRequest, jsonLimit: number): V2Body {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  if (body.length === 0) throw new BadRequestError('the request body is empty', 'EMPTY_BODY');
  const declared = headerLength(request.headers[HEADER_LENGTH], body.length);
  const jsonBytes = declared ?? body.length;
  if (jsonBytes > jsonLimit)
    throw new PayloadTooLargeError(
      `the request's JSON is ${count(jsonBytes)} bytes, more than the limit of ${count(jsonLimit)}; send tensors in binary (binary_data_size)`,
      'PAYLOAD_TOO_LARGE',
    );
  const parsed = checkRequest(parseHeader(body.subarray(0, jsonBytes)));
  let at = jsonBytes;
  const binaries = parsed.inputs.map((input, i) => {
    const size = input.parameters?.binary_data_size;
    if (size === undefined) return undefined;
    if (declared === undefined)
      throw new BadRequestError(
        `inputs[${i}] has binary_data_size but the request has no Inference-Header-Content-Length header`,
        'BAD_HEADER_LENGTH',
      );
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
      throw new BadRequestError(`inputs[${i}].parameters.binary_data_size must be a whole number of bytes`, 'BAD_SIZE');
    if (size > body.length - at)
      throw new BadRequestError(
        `inputs[${i}] says binary_data_size ${count(size)}, but only ${count(body.length - at)} bytes follow`,
        'BINARY_SIZE_MISMATCH',
      );
    const part = body.subarray(at, at + size);
    at += size;
    return part;
  });
  if (at !== body.length)
    throw new BadRequestError(
      `${count(body.length - at)} bytes follow the JSON and the binary inputs it declares`,
      'BINARY_SIZE_MISMATCH',
    );
  return { request: parsed, binaries };
}
