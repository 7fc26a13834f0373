import { describe, expect, it } from 'vitest';
import { EventStreamParser, type StreamEvent } from '../../web/src/sse.js';

/** The dashboard's text/event-stream parser, fed the way a network delivers bytes: in any split. */
describe('event stream parser', () => {
  const stream =
    ': heartbeat\n\n' +
    'id: 3\nevent: progress\ndata: {"epoch":1}\n\n' +
    'event: state\r\ndata: {"state":"running"}\r\n\r\n' +
    'retry: 2500\nid: 5\nevent: completed\ndata: {"a":\ndata: 1}\n\n' +
    'data: no type\r\r';

  const expected: StreamEvent[] = [
    { event: 'progress', data: '{"epoch":1}', id: '3' },
    { event: 'state', data: '{"state":"running"}', id: '3' },
    { event: 'completed', data: '{"a":\n1}', id: '5' },
    { event: 'message', data: 'no type', id: '5' },
  ];

  it('reads events, ids, retry and multi-line data; comments and LF, CRLF or CR line ends', () => {
    const parser = new EventStreamParser();
    expect(parser.push(stream)).toEqual(expected);
    expect(parser.lastEventId).toBe('5');
    expect(parser.retryMs).toBe(2500);
  });

  it('gives the same events for every split of the stream into two chunks (and an empty one)', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const parser = new EventStreamParser();
      const events = [...parser.push(stream.slice(0, cut)), ...parser.push(''), ...parser.push(stream.slice(cut))];
      expect(events, `split at ${cut}`).toEqual(expected);
    }
  });

  it('holds back an event until its blank line arrives, and drops one without data', () => {
    const parser = new EventStreamParser();
    expect(parser.push('event: progress\ndata: {}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'progress', data: '{}', id: '' }]);
    expect(parser.push('event: state\n\n')).toEqual([]);
    expect(parser.push('data: x\n\n')).toEqual([{ event: 'message', data: 'x', id: '' }]);
  });
});
