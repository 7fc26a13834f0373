/**
 * The standard protocols' doors: KServe V2 bodies whose Triton byte counts lie, shapes that
 * promise more than they hold, data nested past its shape, TF Serving batches past MAX_BATCH and
 * images past the decoding caps inside JSON. Each is a 4xx in the protocols' `{error}` shape
 * that names the figures; none is decoded, allocated or predicted.
 */
import { deflateSync } from 'node:zlib';
import { pngChunk, PNG_SIGNATURE } from '../../helpers/images.js';
import { bearer } from '../../helpers/hostile/send.js';
import type { CaseFile, HostileContext, HostileRequest, RequestCase } from '../../helpers/hostile/types.js';

const pixels = Array.from({ length: 784 }, (_, i) => i % 256);
const fp32 = Buffer.from(Float32Array.from(pixels).buffer);

function ihdr(width: number, height: number): Uint8Array {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([8, 0, 0, 0, 0], 8);
  return pngChunk('IHDR', data);
}
/** A PNG header claiming 5000×8 grey pixels, with next to no data: refused for its side. */
const widePng = Buffer.concat([
  Buffer.from(PNG_SIGNATURE),
  ihdr(5000, 8),
  pngChunk('IDAT', deflateSync(Buffer.alloc(16))),
  pngChunk('IEND', new Uint8Array(0)),
]);

/** A Triton body: the JSON header, then `tail`; `declared` overrides the header's length. */
function triton(header: object, tail: Buffer, declared?: string) {
  const json = Buffer.from(JSON.stringify(header));
  return (ctx: HostileContext): HostileRequest => ({
    method: 'POST',
    path: `/v2/models/${ctx.modelId}/infer`,
    headers: { ...bearer(ctx.keys.predict), 'inference-header-content-length': declared ?? String(json.length) },
    body: Buffer.concat([json, tail]),
  });
}
const v2Json =
  (body: unknown, headers: Record<string, string> = {}) =>
  (ctx: HostileContext): HostileRequest => ({
    method: 'POST',
    path: `/v2/models/${ctx.modelId}/infer`,
    headers: { ...bearer(ctx.keys.predict), 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const tf =
  (body: unknown) =>
  (ctx: HostileContext): HostileRequest => ({
    method: 'POST',
    path: `/v1/models/${ctx.modelId}:predict`,
    headers: { ...bearer(ctx.keys.predict), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const input = (over: object) => ({ name: 'input', shape: [1, 784], datatype: 'FP32', ...over });
const refused = (name: string, request: RequestCase['request'], status: number, message: RegExp): RequestCase => ({
  name,
  request,
  expect: { status, message },
});

const file: CaseFile = {
  cases: [
    refused(
      'V2: Inference-Header-Content-Length past the end of the body',
      triton({ inputs: [input({ parameters: { binary_data_size: 3136 } })] }, fp32, '999999'),
      400,
      /says 999,999 bytes of JSON, the body has/,
    ),
    refused(
      'V2: Inference-Header-Content-Length that is not a number',
      triton({ inputs: [input({ parameters: { binary_data_size: 3136 } })] }, fp32, '12abc'),
      400,
      /Inference-Header-Content-Length is "12abc"/,
    ),
    refused(
      'V2: a binary_data_size larger than the bytes that follow',
      triton({ inputs: [input({ parameters: { binary_data_size: 1_000_000_000 } })] }, fp32),
      400,
      /binary_data_size 1,000,000,000, but only 3,136 bytes follow/,
    ),
    refused(
      'V2: a BYTES element whose length prefix lies',
      triton(
        { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 8 } }] },
        Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4]),
      ),
      400,
      /says 2147483647 bytes, only 4 follow/,
    ),
    refused(
      'V2: a shape promising 10^12 images',
      v2Json({ inputs: [input({ shape: [1_000_000_000_000, 784], data: pixels })] }),
      400,
      /at most \d+ in one request \(MAX_BATCH\)/,
    ),
    refused(
      'V2: data nested deeper than its shape',
      v2Json({ inputs: [input({ data: [[[[[[[[pixels]]]]]]]] })] }),
      400,
      /nested deeper than its shape/,
    ),
    refused(
      'V2: a JSON body declaring more than the JSON limit',
      v2Json(`{"inputs": [${' '.repeat(2_000_000)}]}`),
      413,
      /more than the limit of \d+/,
    ),
    refused(
      'V2: a content type it does not speak',
      v2Json({ inputs: [input({ data: pixels })] }, { 'content-type': 'text/html' }),
      415,
      /text\/html/,
    ),
    refused(
      'V2: a BYTES image wider than 4096 inside JSON base64',
      v2Json({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [widePng.toString('base64')] }] }),
      413,
      /4096/,
    ),
    refused(
      'TF Serving: 10,000 instances, past MAX_BATCH',
      tf({ instances: Array.from({ length: 10_000 }, () => [0]) }),
      400,
      /10000 images in one request; at most \d+ \(MAX_BATCH\)/,
    ),
    refused(
      'TF Serving: a b64 image wider than 4096',
      tf({ instances: [{ b64: widePng.toString('base64') }] }),
      413,
      /4096/,
    ),
  ],
};

export default file;
