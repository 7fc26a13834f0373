import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, ConnectionError, createClient, type JobEvent } from '../../src/client/index.js';

const job = (state: string) => ({ id: 'job-1', state, progress: { epoch: 2, epochs: 2, history: [] } });

/** A real HTTP server whose answers the test scripts, one handler per request in turn. */
async function server(handlers: ((req: IncomingMessage, res: ServerResponse) => void)[]) {
  const seen: IncomingMessage[] = [];
  const s = createServer((req, res) => {
    seen.push(req);
    const handler = handlers[Math.min(seen.length - 1, handlers.length - 1)]!;
    handler(req, res);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => s.close(() => resolve())) };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const sse = (res: ServerResponse, text: string, end: boolean) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  // Without `end`, the connection drops mid-stream once the client has had the text.
  res.write(text, () => (end ? res.end() : setTimeout(() => res.destroy(), 30)));
};

describe('followJob', () => {
  it('reconnects after a drop with Last-Event-ID and the retry the server asked for, losing nothing', async () => {
    const s = await server([
      (_, res) => sse(res, 'retry: 10\n\nid: 5-0\nevent: state\ndata: {"state":"running"}\n\n', false),
      (_, res) =>
        sse(
          res,
          'id: 6-0\nevent: progress\ndata: {"epoch":1}\n\nid: 7-0\nevent: completed\ndata: ' +
            JSON.stringify(job('completed')) +
            '\n\n',
          true,
        ),
    ]);
    close = s.close;
    const events: JobEvent[] = [];
    const done = await createClient({ baseUrl: s.url, apiKey: 'k'.repeat(20) }).followJob('job-1', (e) =>
      events.push(e),
    );
    expect(done.state).toBe('completed');
    expect(events.map((e) => e.event)).toEqual(['state', 'reconnecting', 'progress', 'completed']);
    expect(s.seen[0]!.headers['last-event-id']).toBeUndefined();
    expect(s.seen[1]!.headers['last-event-id']).toBe('5-0');
    expect(s.seen[1]!.headers.authorization).toBe(`Bearer ${'k'.repeat(20)}`);
    expect(events[1]).toMatchObject({ event: 'reconnecting', attempt: 1, delayMs: 10 });
  });

  it('reads the job once the stream answers 204 (it had sent everything)', async () => {
    const s = await server([
      (_, res) => res.writeHead(204).end(),
      (_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(job('failed'))),
    ]);
    close = s.close;
    const done = await createClient({ baseUrl: s.url }).followJob('job-1', () => {});
    expect(done.state).toBe('failed');
    expect(s.seen[1]!.url).toBe('/v1/training-jobs/job-1');
  });

  it("throws the API's error for a 404 at once, and gives up after maxRetries drops", async () => {
    const s = await server([
      (_, res) =>
        res.writeHead(404, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            statusCode: 404,
            error: 'Not Found',
            message: 'training job "x" not found',
            code: 'JOB_NOT_FOUND',
          }),
        ),
    ]);
    close = s.close;
    const err = await createClient({ baseUrl: s.url })
      .followJob('x', () => {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND', message: 'training job "x" not found' });
    await close();
    close = undefined;

    const dropping = await server([(_, res) => sse(res, 'retry: 1\n\n', false)]);
    close = dropping.close;
    const events: JobEvent[] = [];
    const gaveUp = await createClient({ baseUrl: dropping.url })
      .followJob('x', (e) => events.push(e), { maxRetries: 3 })
      .catch((e: unknown) => e);
    expect(gaveUp).toBeInstanceOf(ConnectionError);
    expect((gaveUp as Error).message).toMatch(/gave up after 3 retries/);
    expect(dropping.seen).toHaveLength(4);
    expect(events.map((e) => (e.event === 'reconnecting' ? e.delayMs : e.event))).toEqual([1, 2, 4]);
  });

  it('turns a refused connection into a ConnectionError naming the address', async () => {
    const err = await createClient({ baseUrl: 'http://127.0.0.1:1' })
      .getJob('x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:1: /);
  });
});
