/**
 * Requests as the standard clients send them, byte for byte, and Triton binary answers read as
 * tritonclient.http reads them. tritonclient writes its JSON with Python's json.dumps (", " and
 * ": " separators, keys in insertion order), sets Inference-Header-Content-Length and no
 * Content-Type; KServe's REST client sends compact JSON as application/json.
 */

/** Python's json.dumps(value) for the plain values these fixtures hold. */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

export interface TritonInput {
  name: string;
  shape: number[];
  datatype: string;
  /** The tensor's bytes as numpy's tobytes() (or serialize_byte_tensor for BYTES). */
  raw: Buffer;
}

/** tritonclient.http's InferenceServerClient.infer(model, inputs, outputs?, request_id?) body and headers. */
export function tritonRequest(
  inputs: TritonInput[],
  opts: { outputs?: { name: string; binary?: boolean }[]; id?: string } = {},
): { headers: Record<string, string>; payload: Buffer } {
  const request: Record<string, unknown> = {};
  if (opts.id) request.id = opts.id;
  request.inputs = inputs.map((i) => ({
    name: i.name,
    shape: i.shape,
    datatype: i.datatype,
    parameters: { binary_data_size: i.raw.length },
  }));
  if (opts.outputs?.length)
    request.outputs = opts.outputs.map((o) => ({ name: o.name, parameters: { binary_data: o.binary ?? true } }));
  else request.parameters = { binary_data_output: true };
  const json = Buffer.from(pythonJson(request));
  return {
    headers: { 'inference-header-content-length': String(json.length), 'user-agent': 'python/gevent-http-client-2.3' },
    payload: Buffer.concat([json, ...inputs.map((i) => i.raw)]),
  };
}

/** numpy float32 array's tobytes(). */
export const float32Bytes = (values: ArrayLike<number>) => Buffer.from(Float32Array.from(values).buffer);
export const float64Bytes = (values: ArrayLike<number>) => Buffer.from(Float64Array.from(values).buffer);

/** tritonclient.utils.serialize_byte_tensor: each element's 4-byte little-endian length, then its bytes. */
export function serializeByteTensor(items: Buffer[]): Buffer {
  return Buffer.concat(
    items.flatMap((b) => {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      return [len, b];
    }),
  );
}

export interface ReadOutput {
  name: string;
  datatype: string;
  shape: number[];
  data: (number | string)[];
}

/** An answer as tritonclient's InferResult reads it: JSON, or JSON then binary outputs, with as_numpy's values. */
export function readTritonAnswer(
  headers: Record<string, unknown>,
  body: Buffer,
): { json: Record<string, unknown>; outputs: ReadOutput[] } {
  const length = headers['inference-header-content-length'];
  const jsonLength = length === undefined ? body.length : Number(length);
  const json = JSON.parse(body.subarray(0, jsonLength).toString('utf8')) as Record<string, unknown>;
  let at = jsonLength;
  const outputs = (json.outputs as (ReadOutput & { parameters?: { binary_data_size?: number } })[]).map((o) => {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) return { name: o.name, datatype: o.datatype, shape: o.shape, data: o.data };
    const raw = body.subarray(at, at + size);
    at += size;
    const data: (number | string)[] = [];
    if (o.datatype === 'FP32') for (let i = 0; i < raw.length; i += 4) data.push(raw.readFloatLE(i));
    else if (o.datatype === 'INT64') for (let i = 0; i < raw.length; i += 8) data.push(Number(raw.readBigInt64LE(i)));
    else
      for (let i = 0; i < raw.length;) {
        const n = raw.readUInt32LE(i);
        data.push(raw.subarray(i + 4, i + 4 + n).toString('utf8'));
        i += 4 + n;
      }
    return { name: o.name, datatype: o.datatype, shape: o.shape, data };
  });
  if (at !== body.length) throw new Error(`${body.length - at} bytes left after the outputs`);
  return { json, outputs };
}
