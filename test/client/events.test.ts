import { describe, expect, it } from 'vitest';
import { readEvents } from '../../src/client/events.js';

const streamOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });

const all = async (body: ReadableStream<Uint8Array>) => {
  const out = [];
  for await (const e of readEvents(body)) out.push(e);
  return out;
};

describe('readEvents', () => {
  it('reads events split anywhere across chunks, with CRLF, comments and multi-line data', async () => {
    const events = await all(
      streamOf(
        'retry: 2000\n\n: ping\n\nid: 1-0\nevent: state\nda',
        'ta: {"state":"running"}\r\n\r\nid: 2-0\nevent: progress\ndata: a\ndata: b\n\n',
      ),
    );
    expect(events).toEqual([
      { event: 'message', data: '', retry: 2000 },
      { id: '1-0', event: 'state', data: '{"state":"running"}' },
      { id: '2-0', event: 'progress', data: 'a\nb' },
    ]);
  });

  it('drops an unfinished last block and ignores unknown fields and a bad retry', async () => {
    expect(await all(streamOf('event: x\nfoo: bar\nretry: soon\ndata: 1\n\nevent: cut'))).toEqual([
      { event: 'x', data: '1' },
    ]);
  });

  it('refuses a block that never ends past 16 MiB instead of buffering it', async () => {
    const big = 'data: ' + 'x'.repeat(1024 * 1024);
    const chunks = Array.from({ length: 17 }, () => big);
    await expect(all(streamOf(...chunks))).rejects.toThrow(/larger than 16 MiB/);
  });
});
