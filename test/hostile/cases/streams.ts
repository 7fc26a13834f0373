import { randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import { openSseFrom, type RawSseConnection } from '../../helpers/sse.js';
import type { CaseFile, HostileContext, HostileRequest } from '../../helpers/hostile/types.js';

/**
 * Event streams, the read budget and failed authentications. Every case that floods or counts
 * sends from a loopback address of its own (127.x.y.z, new each run), so that its per-IP counts
 * (reads, failed authentications, open streams) are its own: the other cases, sent from
 * 127.0.0.1, are never limited by these, and a replay within the minute starts afresh.
 */
const PER_KEY = 10;
const TOTAL = 60;
const AUTH_FAILURES = 20;

const env = {
  MAX_EVENT_STREAMS_PER_KEY: String(PER_KEY),
  MAX_EVENT_STREAMS: String(TOTAL),
  AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES),
};

const freshAddress = () => `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(2, 255)}`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown> | undefined;
}

/** One request over its own connection from `from`, read whole. */
function sendFrom(ctx: HostileContext, from: string, req: HostileRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const r = httpRequest(new URL(req.path, ctx.url), {
      method: req.method,
      headers: req.headers,
      localAddress: from,
      agent: false,
      timeout: 30_000,
    });
    r.on('timeout', () => r.destroy(new Error(`${req.method} ${req.path}: no answer within 30 s`)));
    // A connection the server closes before answering (a header past its limit) is status 0.
    r.on('error', (err) => resolve({ status: 0, headers: {}, json: { error: err.message } }));
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
    });
    r.end(req.body);
  });
}

/** A job that stays unfinished while the case runs (cancelled by `done`), submitted as `from`/`key`. */
async function unfinishedJob(ctx: HostileContext, from: string, headers: Record<string, string> = {}) {
  const json = { 'content-type': 'application/json', ...headers };
  const res = await sendFrom(ctx, from, {
    method: 'POST',
    path: '/v1/training-jobs',
    headers: json,
    body: JSON.stringify({ epochs: 50 }),
  });
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  const id = res.json!.id as string;
  return {
    id,
    events: `${ctx.url}/v1/training-jobs/${id}/events`,
    done: () => sendFrom(ctx, from, { method: 'POST', path: `/v1/training-jobs/${id}/cancel`, headers }),
    /** Waits (bounded) until the job is finished: a running job stops after its current batch. */
    async finished() {
      for (let i = 0; i < 300; i++) {
        const res = await sendFrom(ctx, from, { method: 'GET', path: `/v1/training-jobs/${id}`, headers });
        if (['completed', 'failed', 'cancelled'].includes(res.json?.state as string)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`job ${id} did not finish within 30 s of its cancel`);
    },
  };
}

/** The first event of a fresh stream on an unfinished job: its state. */
const UNFINISHED = { event: 'state', data: { state: expect.stringMatching(/^(queued|running)$/) } };

/** Opens `n` streams at once; every one is closed again by `closeAll`. */
async function openMany(url: string, n: number, from: (i: number) => string, headers: Record<string, string> = {}) {
  const conns = await Promise.all(
    Array.from({ length: n }, (_, i) => openSseFrom(url, { localAddress: from(i), headers })),
  );
  return {
    ok: conns.filter((c) => c.status === 200),
    refused: conns.filter((c) => c.status !== 200),
    closeAll: () => conns.forEach((c) => c.close()),
  };
}

async function expectTooManyStreams(refused: RawSseConnection[], message: RegExp) {
  for (const c of refused) {
    expect(c.status).toBe(429);
    expect(Number(c.headers['retry-after'])).toBeGreaterThan(0);
    const body = JSON.parse(await c.text()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_STREAMS' });
    expect(body.message).toMatch(message);
  }
}

const healthy = async (ctx: HostileContext, from: string) =>
  expect((await sendFrom(ctx, from, { method: 'GET', path: '/healthz' })).status).toBe(200);

/** A Last-Event-ID the route must refuse (400) before it looks for the job. */
const badLastEventId = (name: string, id: string) => ({
  name: `streams: Last-Event-ID ${name} is a 400`,
  request: (ctx: HostileContext): HostileRequest => ({
    method: 'GET',
    path: '/v1/training-jobs/no-such-job/events',
    headers: { ...bearer(ctx.keys.train), 'last-event-id': id },
  }),
  expect: { status: 400, code: 'VALIDATION_ERROR', message: /last-event-id/ },
});

const file: CaseFile = {
  env,
  cases: [
    {
      name: 'streams: 200 concurrent opens from one caller, all past MAX_EVENT_STREAMS_PER_KEY are 429',
      target: 'open',
      async run(ctx) {
        const from = freshAddress();
        const job = await unfinishedJob(ctx, from);
        const streams = await openMany(job.events, 200, () => from);
        try {
          expect(streams.ok).toHaveLength(PER_KEY);
          expect(streams.refused).toHaveLength(200 - PER_KEY);
          await expectTooManyStreams(streams.refused, new RegExp(`MAX_EVENT_STREAMS_PER_KEY is ${PER_KEY}`));
          expect(await streams.ok[0]!.next()).toMatchObject(UNFINISHED);
          await healthy(ctx, from);
        } finally {
          streams.closeAll();
          await job.done();
        }
      },
    },
    {
      name: 'streams: 40 concurrent opens with one API key, all past MAX_EVENT_STREAMS_PER_KEY are 429',
      async run(ctx) {
        const from = freshAddress();
        const key = bearer(ctx.keys.otherTrain);
        const job = await unfinishedJob(ctx, from, key);
        const streams = await openMany(job.events, 40, () => from, key);
        try {
          expect(streams.ok).toHaveLength(PER_KEY);
          await expectTooManyStreams(streams.refused, /you already have 10 event streams open/);
          // The other key is a caller of its own.
          const other = await openSseFrom(job.events, { localAddress: from, headers: bearer(ctx.keys.train) });
          other.close();
          expect([200, 404]).toContain(other.status); // 404 where jobs are private to the key that made them
        } finally {
          streams.closeAll();
          await job.done();
        }
      },
    },
    {
      name: 'streams: many callers at once, past MAX_EVENT_STREAMS the server refuses',
      target: 'open',
      async run(ctx) {
        const callers = Array.from({ length: TOTAL / PER_KEY + 1 }, freshAddress);
        const job = await unfinishedJob(ctx, callers[0]!);
        const streams = await openMany(job.events, callers.length * PER_KEY, (i) => callers[i % callers.length]!);
        try {
          // Streams that other cases have just closed may still be counted for a moment.
          expect(streams.ok.length).toBeLessThanOrEqual(TOTAL);
          expect(streams.ok.length).toBeGreaterThanOrEqual(TOTAL - PER_KEY);
          expect(streams.refused.length).toBeGreaterThanOrEqual(PER_KEY);
          await expectTooManyStreams(streams.refused, new RegExp(`its limit \\(MAX_EVENT_STREAMS is ${TOTAL}\\)`));
          await healthy(ctx, callers[0]!);
        } finally {
          streams.closeAll();
          await job.done();
        }
      },
    },
    {
      name: 'streams: opened and dropped at once, 60 times, then the caller still gets all its streams',
      target: 'open',
      async run(ctx) {
        const from = freshAddress();
        const job = await unfinishedJob(ctx, from);
        try {
          for (let i = 0; i < 60; i++) {
            if (i % 2 === 0) {
              // Dropped before any answer: the server may still be looking the job up.
              const r = httpRequest(job.events, { localAddress: from, agent: false });
              r.on('error', () => {});
              r.end(() => r.destroy());
            } else {
              (await openSseFrom(job.events, { localAddress: from })).close();
            }
          }
          // The server notices each drop when its socket closes: give it a moment, not forever.
          let held: Awaited<ReturnType<typeof openMany>> | undefined;
          for (let attempt = 0; attempt < 50; attempt++) {
            held = await openMany(job.events, PER_KEY, () => from);
            if (held.ok.length === PER_KEY) break;
            held.closeAll();
            await new Promise((r) => setTimeout(r, 100));
          }
          expect(held!.ok).toHaveLength(PER_KEY);
          held!.closeAll();
        } finally {
          await job.done();
        }
      },
    },
    {
      name: "streams: Last-Event-ID '0-0' and far-future ids, on an unfinished and on a finished job",
      async run(ctx) {
        const from = freshAddress();
        const key = bearer(ctx.keys.train);
        const job = await unfinishedJob(ctx, from, key);
        const open = (lastEventId: string) =>
          openSseFrom(job.events, { localAddress: from, headers: { ...key, 'last-event-id': lastEventId } });
        const future = '99999999999999999999-99999999999999999999'; // past any 64-bit stream id
        try {
          for (const id of ['0-0', future, `${Date.now() + 86_400_000}-0`]) {
            const sse = await open(id);
            expect(sse.status).toBe(200);
            // The events it missed, or the current state when they cannot be replayed.
            expect(await sse.next()).toMatchObject(UNFINISHED);
            sse.close();
          }
        } finally {
          expect((await job.done()).status).toBe(202);
        }
        await job.finished();
        // Finished: a client that missed the end gets the final event alone; one past it a 204.
        const resumed = await open('0-0');
        expect(resumed.status).toBe(200);
        const final = await resumed.next();
        expect(final).toMatchObject({ event: 'cancelled', data: { id: job.id, state: 'cancelled' } });
        expect(await resumed.next()).toBeUndefined();
        for (const id of [final!.id!, future]) expect((await open(id)).status).toBe(204);
      },
    },
    badLastEventId('that is a word', 'yesterday'),
    badLastEventId('with three parts', '1-2-3'),
    badLastEventId('that is negative', '-1-0'),
    badLastEventId('of 10,000 digits', `${'9'.repeat(10_000)}-0`),
    badLastEventId('with 21-digit parts', `${'1'.repeat(21)}-0`),
    {
      name: 'reads: a GET flood past RATE_LIMIT_READ_PER_MINUTE from one caller is 429, health stays open',
      target: 'open',
      async run(ctx) {
        const from = freshAddress();
        const get = (path: string, ip = from) => sendFrom(ctx, ip, { method: 'GET', path });
        const first = await get('/v1/models');
        const limit = Number(first.headers['x-ratelimit-limit']);
        expect(limit, 'the read budget is on (RATE_LIMIT_READ_PER_MINUTE > 0)').toBeGreaterThan(0);
        expect(limit, 'a read budget small enough to flood past in one case').toBeLessThanOrEqual(5000);
        let passed = first.status === 200 ? 1 : 0;
        let refusal: Answer | undefined;
        for (let sent = 1; sent <= limit && !refusal; sent += 25) {
          const answers = await Promise.all(Array.from({ length: 25 }, () => get('/v1/models')));
          passed += answers.filter((a) => a.status === 200).length;
          refusal = answers.find((a) => a.status === 429);
        }
        expect(refusal, `no 429 after ${passed} reads`).toBeDefined();
        expect(passed).toBeLessThanOrEqual(limit);
        expect(refusal!.json).toMatchObject({ code: 'RATE_LIMITED' });
        expect(refusal!.json!.message).toMatch(/read requests per minute \(RATE_LIMIT_READ_PER_MINUTE\)/);
        expect(Number(refusal!.headers['retry-after'])).toBeGreaterThan(0);
        for (const path of ['/healthz', '/readyz', '/metrics']) expect((await get(path)).status).not.toBe(429);
        expect((await get('/v1/models', freshAddress())).status).toBe(200);
      },
    },
    {
      name: 'auth: 50 wrong keys from one IP, then 429, while a valid key from that IP still works',
      async run(ctx) {
        const from = freshAddress();
        const statuses: number[] = [];
        let refusal: Answer | undefined;
        for (let i = 0; i < 50; i++) {
          const headers = i % 3 === 0 ? {} : bearer(`wrong-key-${i}-${'x'.repeat(20)}`);
          const res = await sendFrom(ctx, from, { method: 'GET', path: '/v1/training-jobs', headers });
          statuses.push(res.status);
          if (res.status === 429) refusal ??= res;
        }
        expect(statuses.slice(0, AUTH_FAILURES)).toEqual(Array(AUTH_FAILURES).fill(401));
        expect(statuses.slice(AUTH_FAILURES)).toEqual(Array(50 - AUTH_FAILURES).fill(429));
        expect(refusal!.json).toMatchObject({ code: 'TOO_MANY_AUTH_FAILURES' });
        expect(refusal!.json!.message).toMatch(/20 failed authentications.*AUTH_FAILURES_PER_MINUTE/);
        expect(Number(refusal!.headers['retry-after'])).toBeGreaterThan(0);
        const get = (headers: Record<string, string>, ip = from) =>
          sendFrom(ctx, ip, { method: 'GET', path: '/v1/models', headers });
        expect((await get(bearer(ctx.keys.train))).status).toBe(200);
        expect((await get(bearer(ctx.keys.predict))).status).toBe(200);
        expect((await get(bearer('still-wrong-still-wrong'))).status).toBe(429);
        expect((await get(bearer('still-wrong-still-wrong'), freshAddress())).status).toBe(401);
      },
    },
    {
      name: 'auth: huge, malformed, unicode and bare Authorization headers are 401 (431 past the header limit)',
      async run(ctx) {
        const from = freshAddress();
        const utf8AsBytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1'); // sent as raw UTF-8
        const cases: [string, number, string?][] = [
          [`Bearer ${'k'.repeat(8 * 1024)}`, 401, 'INVALID_API_KEY'],
          ['Bearer', 401, 'UNAUTHORIZED'],
          ['Bearer ', 401, 'UNAUTHORIZED'],
          [`Bearer ${ctx.keys.train} ${ctx.keys.train}`, 401, 'UNAUTHORIZED'],
          [`Basic ${Buffer.from(`user:${ctx.keys.train}`).toString('base64')}`, 401, 'UNAUTHORIZED'],
          [utf8AsBytes('Bearer ключ-ключ-ключ-ключ-🔑'), 401, 'INVALID_API_KEY'],
          [`Bearer ${' '.repeat(4000)}x${' '.repeat(4000)}y`, 401, 'UNAUTHORIZED'],
          [`Bearer ${'k'.repeat(32 * 1024)}`, 431], // or 0: the server may close before the client has sent it all
        ];
        for (const [authorization, status, code] of cases) {
          const res = await sendFrom(ctx, from, {
            method: 'GET',
            path: '/v1/training-jobs',
            headers: { authorization },
          });
          if (status === 431) expect([431, 0]).toContain(res.status);
          else expect(res.status, authorization.slice(0, 40)).toBe(status);
          if (code) expect(res.json).toMatchObject({ statusCode: status, code });
        }
        await healthy(ctx, from);
      },
    },
  ],
};

export default file;
