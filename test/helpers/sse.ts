import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** One message of a text/event-stream, as an EventSource would see it. */
export interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

export interface SseConnection {
  status: number;
  headers: Headers;
  /** The next event (comments are collected in `comments`); undefined once the server has ended the stream. */
  next(): Promise<SseEvent | undefined>;
  /** Every event until the server ends the stream. */
  rest(): Promise<SseEvent[]>;
  comments: string[];
  /** Drops the connection, as a closed browser tab would. */
  abort(): void;
}

/** A Server-Sent Events client over fetch: real HTTP, read as the bytes arrive. */
export async function connectSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  const comments: string[] = [];
  let buffer = '';
  let done = !reader; // a 204 has no body

  async function next(): Promise<SseEvent | undefined> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parse(block, comments);
        if (event) return event;
        continue;
      }
      if (done) return undefined;
      const chunk = await reader!.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) done = true;
      else buffer += chunk.value;
    }
  }

  return {
    status: res.status,
    headers: res.headers,
    next,
    async rest() {
      const out: SseEvent[] = [];
      for (let e = await next(); e; e = await next()) out.push(e);
      return out;
    },
    comments,
    abort: () => controller.abort(),
  };
}

function parse(block: string, comments: string[]): SseEvent | undefined {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return undefined; // a comment or a retry hint
  return { ...(id === undefined ? {} : { id }), event, data: JSON.parse(data.join('\n')) };
}

export interface RawSseConnection {
  status: number;
  headers: IncomingHttpHeaders;
  /** The next event; undefined once the stream has ended. */
  next(): Promise<SseEvent | undefined>;
  /** The whole body as text, once it has ended (for answers that are not streams). */
  text(): Promise<string>;
  /** Drops the connection. */
  close(): void;
}

/**
 * A stream over node:http, with a connection of its own from `localAddress`: on Linux every
 * 127.x.y.z reaches a server on 127.0.0.1, so each is a client IP of its own to the server.
 * Rejects when the server refuses the connection or sends no answer within `timeoutMs`.
 */
export function openSseFrom(
  url: string,
  opts: { headers?: Record<string, string>; localAddress?: string; timeoutMs?: number } = {},
): Promise<RawSseConnection> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      headers: { accept: 'text/event-stream', ...opts.headers },
      localAddress: opts.localAddress,
      agent: false,
      timeout: opts.timeoutMs ?? 30_000,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let buffer = '';
      let all = '';
      let ended = false;
      let wake: (() => void) | undefined;
      const notify = () => {
        wake?.();
        wake = undefined;
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        all += chunk;
        notify();
      });
      const finish = () => {
        ended = true;
        notify();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      req.removeListener('error', reject);
      req.on('error', finish);
      const comments: string[] = [];
      async function next(): Promise<SseEvent | undefined> {
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = parse(block, comments);
            if (event) return event;
            continue;
          }
          if (ended) return undefined;
          await new Promise<void>((r) => (wake = r));
        }
      }
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        next,
        async text() {
          while (!ended) await new Promise<void>((r) => (wake = r));
          return all;
        },
        close: () => req.destroy(),
      });
    });
    req.end();
  });
}
