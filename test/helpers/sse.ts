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
