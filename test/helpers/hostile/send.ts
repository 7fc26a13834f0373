import { request as httpRequest, type ClientRequest } from 'node:http';
import type { HostileContext, HostileRequest } from './types.js';

export interface HostileResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

/**
 * Sends one request over real HTTP (node:http, so any header can lie: Content-Length,
 * Content-Type, Origin) and reads the whole answer. A connection the server closes early
 * answers status 0 with the error as text. `timeoutMs` bounds the wait.
 */
export function send(ctx: HostileContext, req: HostileRequest, timeoutMs = 30_000): Promise<HostileResponse> {
  const url = new URL(req.path, ctx.url);
  return new Promise((resolve) => {
    let answered = false;
    const r = httpRequest(
      url,
      { method: req.method, headers: req.headers, timeout: timeoutMs, agent: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => resolve({ status: 0, headers: {}, text: err.message, json: undefined }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', (err) => {
      // A server that refuses a body from its headers answers and closes while the rest is sent.
      if (!answered) resolve({ status: 0, headers: {}, text: err.message, json: undefined });
    });
    // Not awaited: the answer may come mid-body; a failed write reaches r's 'error' listener.
    void writeBody(r, req.body, () => answered);
  });
}

/** Writes the body in chunks, waiting for each to drain, and stops once an answer has come. */
async function writeBody(r: ClientRequest, body: Uint8Array | string | undefined, answered: () => boolean) {
  const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  for (let at = 0; at < bytes.length && !answered() && !r.destroyed; at += CHUNK) {
    if (!r.write(bytes.subarray(at, at + CHUNK))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          r.off('drain', done);
          r.off('close', done);
          resolve();
        };
        r.on('drain', done);
        r.on('close', done);
      });
    }
  }
  if (!r.destroyed) r.end();
}

const CHUNK = 64 * 1024;

/** `Authorization` for one of the context's keys. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** A multipart/form-data body from the platform's own encoder: bytes and content-type. */
export async function multipartBody(
  parts: [name: string, value: string | Uint8Array, filename?: string][],
): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, value, filename] of parts) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, new Blob([new Uint8Array(value)]), filename ?? name);
  }
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}
