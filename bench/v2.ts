/**
 * The standard protocols under the predict load of `npm run bench`: one [1, 784] FP32 image per
 * request through V2 infer as JSON and as a Triton binary body, beside /v1/predict with the same
 * pixels as JSON, from 32 wrk connections. Runs are interleaved (v1, V2 JSON, V2 binary, …) so
 * that the machine's drift falls on all three alike; medians are compared.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, wrk, type LoadResult, type Row } from './lib.js';
import { RUNS, median } from './predict.js';

export interface V2Figures {
  v1: LoadResult;
  v2Json: LoadResult;
  v2Binary: LoadResult;
  rows: Row[];
}

/** A wrk script posting `body` with `headers`. */
function script(path: string, body: Buffer, headers: Record<string, string>): string {
  const bodyFile = `${path}.body`;
  writeFileSync(bodyFile, body);
  const lines = Object.entries(headers).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`);
  writeFileSync(
    path,
    `local f = io.open("${bodyFile}", "rb")\nwrk.method = "POST"\nwrk.body = f:read("*all")\nf:close()\n${lines.join('\n')}\n`,
  );
  return path;
}

/** The digit the PNG bench sends, as 784 pixels. */
function digitPixels(): number[] {
  const pixels = new Array<number>(784).fill(0);
  for (let y = 6; y < 22; y++) for (let x = 12; x < 16; x++) pixels[y * 28 + x] = 255;
  return pixels;
}

export async function benchV2(opts: { base: string; work: string; seconds: number }): Promise<V2Figures> {
  const { base, work, seconds } = opts;
  const models = (await (await fetch(`${base}/v1/models`)).json()) as { registered: { name: string }[] };
  const name = models.registered[0]?.name;
  if (!name) throw new Error('no registered model to infer with');
  const pixels = digitPixels();
  const v1 = script(join(work, 'v1-json.lua'), Buffer.from(JSON.stringify({ pixels })), {
    'Content-Type': 'application/json',
  });
  const input = { name: 'input', shape: [1, 784], datatype: 'FP32' };
  const v2Json = script(
    join(work, 'v2-json.lua'),
    Buffer.from(JSON.stringify({ inputs: [{ ...input, data: pixels }] })),
    {
      'Content-Type': 'application/json',
    },
  );
  // As tritonclient.http sends it: the JSON header, then the tensor's little-endian bytes.
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ ...input, parameters: { binary_data_size: 784 * 4 } }],
      parameters: { binary_data_output: true },
    }),
  );
  const v2Binary = script(
    join(work, 'v2-binary.lua'),
    Buffer.concat([header, Buffer.from(Float32Array.from(pixels).buffer)]),
    { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.length) },
  );
  const targets = {
    v1: [`${base}/v1/predict`, v1],
    v2Json: [`${base}/v2/models/${name}/infer`, v2Json],
    v2Binary: [`${base}/v2/models/${name}/infer`, v2Binary],
  } as const;
  const runs: Record<keyof typeof targets, LoadResult[]> = { v1: [], v2Json: [], v2Binary: [] };
  for (const [url, s] of Object.values(targets)) await wrk(url, { connections: 32, seconds: 2, script: s }); // warm-up
  for (let i = 0; i < RUNS; i++)
    for (const [key, [url, s]] of Object.entries(targets) as [keyof typeof targets, readonly [string, string]][])
      runs[key].push(await wrk(url, { connections: 32, seconds, script: s }));
  const mid = (r: LoadResult[]) => [...r].sort((a, b) => a.rps - b.rps)[Math.floor(r.length / 2)]!;
  const figures = { v1: mid(runs.v1), v2Json: mid(runs.v2Json), v2Binary: mid(runs.v2Binary) };
  const errors = (r: LoadResult[]) => r.reduce((s, x) => s + x.errors, 0);
  const line = (what: string, key: keyof typeof targets): Row => [
    `${what} req/s, [1, 784] FP32, 32 connections (median of ${RUNS})`,
    fmt(figures[key].rps),
    `p99 ${fmt(median(runs[key].map((r) => r.p99)), 1)} ms, errors ${errors(runs[key])}` +
      (key === 'v1' ? '' : `; ${fmt(figures[key].rps / figures.v1.rps, 2)}× /v1/predict`),
  ];
  return {
    ...figures,
    rows: [
      line('/v1/predict JSON pixels', 'v1'),
      line('V2 infer JSON', 'v2Json'),
      line('V2 infer binary (Triton)', 'v2Binary'),
    ],
  };
}
