import { apiFetch } from './api.js';

export interface StreamEvent {
  event: string;
  data: string;
  id: string;
}

/**
 * An incremental text/event-stream parser (the WHATWG rules: CR, LF or CRLF line ends, `:`
 * comments, multi-line data, `id` kept across events, `retry`). Fed text in arbitrary chunks.
 */
export class EventStreamParser {
  lastEventId = '';
  retryMs: number | undefined;
  private buffer = '';
  private afterCR = false;
  private data: string[] = [];
  private type = '';

  push(chunk: string): StreamEvent[] {
    if (chunk === '') return [];
    // A CR ends a line at once; an LF right after it (maybe in the next chunk) belongs to it.
    if (this.afterCR && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.buffer += chunk;
    const events: StreamEvent[] = [];
    let start = 0;
    this.afterCR = false;
    for (let at = this.nextBreak(start); at !== -1; at = this.nextBreak(start)) {
      const event = this.line(this.buffer.slice(start, at));
      if (event) events.push(event);
      if (this.buffer[at] === '\r') {
        if (at + 1 === this.buffer.length) this.afterCR = true;
        else if (this.buffer[at + 1] === '\n') at++;
      }
      start = at + 1;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private nextBreak(from: number): number {
    const cr = this.buffer.indexOf('\r', from);
    const lf = this.buffer.indexOf('\n', from);
    return cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
  }

  private line(line: string): StreamEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): StreamEvent | undefined {
    const type = this.type;
    const data = this.data;
    this.type = '';
    this.data = [];
    if (data.length === 0) return undefined;
    return { event: type || 'message', data: data.join('\n'), id: this.lastEventId };
  }
}

/** The service has no event stream here (an older API, a proxy that buffers): poll instead. */
export class StreamUnavailableError extends Error {
  override name = 'StreamUnavailableError';
}

export interface ReadStreamOptions {
  lastEventId?: string;
  signal: AbortSignal;
  /** Heartbeats arrive well within this; a longer silence means a dead connection. */
  idleMs?: number;
  onEvent(event: StreamEvent): void;
}

/**
 * Reads a Server-Sent Events stream with fetch() rather than EventSource, so that it can send
 * the Authorization header. Returns when the server ends the stream; the parser (with the last
 * event id and retry delay) is returned for the reconnect.
 */
export async function readEventStream(url: string, opts: ReadStreamOptions): Promise<EventStreamParser> {
  const idle = new AbortController();
  const signal = AbortSignal.any([opts.signal, idle.signal]);
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
  const res = await apiFetch(url, { headers, signal, cache: 'no-store' });
  const type = res.headers.get('content-type') ?? '';
  if (!res.ok || !type.startsWith('text/event-stream') || !res.body) {
    await res.body?.cancel();
    throw new StreamUnavailableError(`event stream answered ${res.status} ${type}`);
  }
  const parser = new EventStreamParser();
  parser.lastEventId = opts.lastEventId ?? '';
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let timer = setTimeout(() => idle.abort(), opts.idleMs ?? 45_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return parser;
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), opts.idleMs ?? 45_000);
      for (const event of parser.push(value)) opts.onEvent(event);
    }
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => undefined);
  }
}
