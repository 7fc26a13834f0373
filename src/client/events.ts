/** One message of a text/event-stream, as an EventSource would hand it over. */
export interface StreamEvent {
  id?: string;
  event: string;
  data: string;
  /** The server's `retry:` advice in ms, when this block carried one. */
  retry?: number;
}

/** A block of the stream larger than this ends the read: a service's events are a few KB. */
const MAX_BLOCK_CHARS = 16 * 1024 * 1024;

/**
 * Reads the events of a text/event-stream body as they arrive (the format of the HTML standard's
 * EventSource: `field: value` lines, blank line between events, `:` comments ignored).
 */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .getReader();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event) yield event;
      }
      if (buffer.length > MAX_BLOCK_CHARS) throw new Error('an event of the stream is larger than 16 MiB');
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function parseBlock(block: string): StreamEvent | undefined {
  const event: StreamEvent = { event: 'message', data: '' };
  const data: string[] = [];
  let fields = 0;
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    fields++;
    if (name === 'data') data.push(value);
    else if (name === 'event') event.event = value;
    else if (name === 'id') event.id = value;
    else if (name === 'retry' && /^\d+$/.test(value)) event.retry = Number(value);
  }
  if (fields === 0) return undefined;
  event.data = data.join('\n');
  // A block of only `retry:` sets the delay and dispatches nothing, as in EventSource.
  return data.length === 0 && event.event === 'message' && event.id === undefined && event.retry === undefined
    ? undefined
    : event;
}
