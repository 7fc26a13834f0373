import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IdParams } from '../../schemas/common.js';
import { STREAM_ID, compareIds } from '../../queue/job-events.js';
import { FINAL_STATES, openJobFeed, type FeedEvent } from '../../queue/job-feed.js';
import { errors } from '../schemas.js';

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
- \`progress\`: after each epoch, the same object as the job's \`progress\`
- \`completed\` / \`failed\` / \`cancelled\`: the full job resource, as GET /v1/training-jobs/{id}
  answers it; the server then ends the stream

A new connection starts with the job's current \`state\` (and \`progress\` once an epoch has finished);
for a finished job it also sends the final event and ends. A comment line \`: ping\` is sent every 15 s.
A reconnect after the final event is answered 204, which tells EventSource to stop.`;

const EXAMPLE =
  'retry: 2000\n\nid: 1764330000000-0\nevent: state\ndata: {"state":"running"}\n\n' +
  'id: 1764330001523-0\nevent: progress\ndata: {"epoch":1,"epochs":2,"loss":0.41,...}\n\n';

const format = ({ id, event, data }: FeedEvent) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

const trainingJobEvents: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs, jobEvents: hub, eventsHeartbeatMs = DEFAULT_HEARTBEAT_MS } = app.deps;
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
          ...errors(400, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const lastEventId = request.headers['last-event-id'];
      const job = await jobs.get(id); // an unknown job is a JSON 404, before any stream starts
      if (lastEventId !== undefined && (FINAL_STATES as readonly string[]).includes(job.state)) {
        const oldest = await hub.oldestId();
        const trimmed = oldest !== undefined && compareIds(oldest, lastEventId) > 0;
        if (!trimmed && (await hub.readAfter(id, lastEventId)).length === 0) return reply.status(204).send(null);
      }

      const stream = new PassThrough();
      const write = (text: string) => {
        if (!stream.writableEnded) stream.write(text);
      };
      const heartbeat = setInterval(() => write(': ping\n\n'), eventsHeartbeatMs);
      const end = () => {
        if (!open.delete(end)) return;
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
        lastEventId,
        send: (event) => write(format(event)),
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
