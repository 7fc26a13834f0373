import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { IdParams } from '../../schemas/common.js';
import { isFinal } from '../../schemas/job.js';
import { STREAM_ID, compareIds } from '../../queue/job-events.js';
import { finalEventId, openJobFeed, type FeedEvent } from '../../queue/job-feed.js';
import { errors } from '../route-schemas.js';
import { STREAM_RETRY_AFTER_S, createStreamSlots } from '../stream-slots.js';
import { idScope, shownTo } from '../tenancy.js';

const DEFAULT_HEARTBEAT_MS = 15_000;
/** Asks EventSource to reconnect this soon after a dropped stream (it sends Last-Event-ID). */
const RETRY_MS = 2000;

const EventHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      pattern: STREAM_ID.source,
      description: 'The `id` of the last event received: the stream resumes right after it (sent by EventSource)',
    }),
  ),
});

const DESCRIPTION = `Server-Sent Events (text/event-stream). Every event has an \`id\`; a client that reconnects with
\`Last-Event-ID\` gets the events it missed, then live ones, none twice.

- \`state\`: \`{"state": "queued" | "running" | ...}\` on every state change
- \`progress\`: after each epoch, the same object as the job's \`progress\`; within an epoch, about once a
  second, the same with \`current\` (the samples of the running epoch done so far)
- \`completed\` / \`failed\` / \`cancelled\`: the full job resource, as GET /v1/training-jobs/{id}
  answers it; the server then ends the stream

A new connection starts with the job's current \`state\` (and \`progress\` once an epoch has finished);
for a finished job it also sends the final event and ends. A comment line \`: ping\` is sent every 15 s.
A reconnect after the final event is answered 204, which tells EventSource to stop; a reconnect to
a finished job that missed the final event gets that event alone (the job it carries holds every
epoch). A reconnect whose missed events are no longer kept, or lie too far back, gets the job's
current state and progress, as a new connection does.

Each tenant (each key within \`default\`, each client IP without keys) may hold MAX_EVENT_STREAMS_PER_KEY streams open on one
server, and a server MAX_EVENT_STREAMS in all: past either, a 429 \`TOO_MANY_STREAMS\` with \`Retry-After\`.`;

const EXAMPLE =
  'retry: 2000\n\nid: 1764330000000-0\nevent: state\ndata: {"state":"running"}\n\n' +
  'id: 1764330001523-0\nevent: progress\ndata: {"epoch":1,"epochs":2,"loss":0.41,...}\n\n';

const format = ({ id, event, data }: FeedEvent) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

const trainingJobEvents: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs, jobEvents: hub, config, keyring, eventsHeartbeatMs = DEFAULT_HEARTBEAT_MS } = app.deps;
  const slots = createStreamSlots({ perCaller: config.MAX_EVENT_STREAMS_PER_KEY, total: config.MAX_EVENT_STREAMS });
  const takeSlot = (caller: string, reply: FastifyReply) => {
    try {
      return slots.take(caller);
    } catch (err) {
      void reply.header('retry-after', String(STREAM_RETRY_AFTER_S));
      throw err;
    }
  };
  /** Ends every open stream: a closing server answers none of them any more. */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/v1/training-jobs/:id/events',
    {
      schema: {
        tags: ['training'],
        summary: "A job's live events: state changes, each epoch's progress, the outcome",
        description: DESCRIPTION,
        params: IdParams,
        headers: EventHeaders,
        response: {
          200: {
            description: 'An event stream',
            content: { 'text/event-stream': { schema: Type.String({ examples: [EXAMPLE] }) } },
          },
          204: { description: 'The job has finished and the client has had every event', type: 'null' },
          ...errors(400, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const lastEventId = request.headers['last-event-id'];
      // Taken first, so that a refused client costs no Redis work; released however the request ends.
      const release = takeSlot(request.caller?.quotaOwner ?? `ip:${request.ip}`, reply);
      // An unknown job is a JSON 404, before any stream starts.
      const job = await jobs.get(id, idScope(request)).catch((err: unknown) => {
        release();
        throw err;
      });
      // A finished job is answered from its record: the client has had its final event, or gets it.
      if (lastEventId !== undefined && isFinal(job.state) && compareIds(lastEventId, finalEventId(job)) >= 0) {
        release();
        return reply.status(204).send(null);
      }

      const stream = new PassThrough();
      const write = (text: string) => {
        if (!stream.writableEnded) stream.write(text);
      };
      const heartbeat = setInterval(() => {
        // A key revoked, moved to another tenant or narrowed by a re-read keys file keeps no stream
        // open past the next heartbeat.
        if (keyring && request.caller && !keyring.holds(request.caller)) return end();
        write(': ping\n\n');
      }, eventsHeartbeatMs);
      const end = () => {
        if (!open.delete(end)) return;
        release();
        clearInterval(heartbeat);
        feed.close();
        stream.end();
      };
      open.add(end);
      write(`retry: ${RETRY_MS}\n\n`);
      const feed = openJobFeed({
        hub,
        jobs,
        jobId: id,
        job,
        lastEventId,
        send: (event) => write(format({ ...event, data: shownTo(request, event.data) } as typeof event)),
        end,
        fail: (err) => {
          request.log.warn({ err: (err as Error).message, jobId: id }, 'event stream ended by an error');
          end();
        },
      });
      reply.raw.once('close', end); // the client went away
      // It may have gone while the job was looked up, before this listener: 'close' has fired.
      if (request.raw.destroyed || reply.raw.destroyed) end();
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no') // proxies such as nginx: pass events on at once
        .send(stream);
    },
  );
};

export default trainingJobEvents;
