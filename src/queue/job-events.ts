import { QueueEvents, type ConnectionOptions } from 'bullmq';
import type { RedisClient as Redis } from './redis.js';
import { TRAINING_QUEUE } from './training-queue.js';
import { serviceKeys } from './keys.js';

/**
 * A job's lifecycle as BullMQ records it in the queue's events stream (`<prefix>:training:events`),
 * plus the `cancelled` entry the job service adds when it removes a queued job. `id` is the
 * stream entry's id: ids grow with time, so they order events and resume a feed.
 */
export interface QueueEvent {
  id: string;
  event: string;
  jobId: string;
  /** The `progress` event's data, parsed. */
  data?: unknown;
}

export type QueueEventListener = (event: QueueEvent) => void;

/** The events stream of the training queue. */
export const eventsKey = (prefix: string) => serviceKeys(prefix).events;

/** BullMQ's own bound on the events stream (its `streams.events.maxLen` default). */
const MAX_EVENTS = 10_000;

/**
 * Records that a queued job was cancelled: BullMQ logs only `removed` for it, which a job
 * deleted for any other reason logs too.
 */
export async function publishCancelled(redis: Redis, prefix: string, jobId: string): Promise<void> {
  await redis.xadd(eventsKey(prefix), 'MAXLEN', '~', MAX_EVENTS, '*', 'event', 'cancelled', 'jobId', jobId);
}

/** Stream ids are `<ms>-<seq>`; compared as numbers, not text. */
export function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
/** The largest sequence number of a stream id (64 bits unsigned). */
const MAX_SEQ = 18446744073709551615n;

function fromFields(id: string, fields: Record<string, string | undefined>): QueueEvent | undefined {
  const { event, jobId } = fields;
  if (!event || !jobId) return undefined;
  if (event !== 'progress') return { id, event, jobId };
  try {
    return { id, event, jobId, data: JSON.parse(fields.data ?? 'null') };
  } catch {
    return undefined;
  }
}

export interface ResumeRead {
  events: QueueEvent[];
  complete: boolean;
  /** Stream entries read, of every job. */
  scanned: number;
}

/**
 * How many entries of the events stream a reconnect reads at most. The stream is shared by every
 * job and kept at ~10,000 entries, each up to a few KB (progress carries the history): a client
 * that comes back within seconds needs a few dozen; older ids get the current state instead.
 */
export const MAX_RESUME_SCAN = 500;

export interface JobEventHub {
  /** Live events of one job from now on; returns the unsubscribe function. */
  subscribe(jobId: string, listener: QueueEventListener): () => void;
  /**
   * The job's recorded events after `afterId`, oldest first, reading at most `maxEntries` entries
   * of the stream (all jobs' entries count). `complete` is false when the bound was reached
   * before the end of the stream: the events found are then not all there are.
   */
  readAfter(jobId: string, afterId: string, maxEntries?: number): Promise<ResumeRead>;
  /** The id of the newest entry of the stream ('0-0' while it is empty). */
  latestId(): Promise<string>;
  /** The id of the oldest entry still kept (undefined while the stream is empty). */
  oldestId(): Promise<string | undefined>;
  /**
   * A position in the stream from Redis' clock: every entry added from now on lies past it. A
   * client shown it learns the time, not how far the stream, shared by every tenant, has moved.
   */
  nowId(): Promise<string>;
  subscriberCount(): number;
  close(): Promise<void>;
}

const LIVE_EVENTS = ['active', 'waiting', 'delayed', 'progress', 'completed', 'failed', 'cancelled'] as const;
const PAGE = 250;

/**
 * One BullMQ QueueEvents reader per process, fanned out by job id to any number of feeds.
 * It reads from the stream's newest entry at start-up on: nothing written after the hub
 * exists is missed, and older entries are read with XRANGE when a feed resumes.
 */
export async function createJobEventHub({
  connection,
  redis,
  prefix,
}: {
  /** For the reader's blocking XREAD (QueueEvents duplicates a given client). */
  connection: ConnectionOptions;
  redis: Redis;
  prefix: string;
}): Promise<JobEventHub> {
  const key = eventsKey(prefix);
  const listeners = new Map<string, Set<QueueEventListener>>();

  const latestId = async () => (await redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';

  const reader = new QueueEvents(TRAINING_QUEUE, { connection, prefix, lastEventId: await latestId() });
  reader.on('error', () => {}); // the reader reconnects by itself; readiness reports Redis outages
  for (const name of LIVE_EVENTS) {
    // The typed `on` knows BullMQ's own event names only; `cancelled` is ours. QueueEvents
    // passes the entry's fields (progress data already parsed) and the entry's id.
    reader.on(name as 'active', (fields: { jobId?: unknown; data?: unknown }, id: string) => {
      const subscribers = typeof fields.jobId === 'string' ? listeners.get(fields.jobId) : undefined;
      if (!subscribers) return;
      const event: QueueEvent = { id, event: name, jobId: fields.jobId as string };
      if (name === 'progress') event.data = fields.data;
      for (const listener of subscribers) listener(event);
    });
  }
  await reader.waitUntilReady();

  return {
    subscribe(jobId, listener) {
      let set = listeners.get(jobId);
      if (!set) listeners.set(jobId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(jobId) === set) listeners.delete(jobId);
      };
    },

    async readAfter(jobId, afterId, maxEntries = MAX_RESUME_SCAN) {
      const events: QueueEvent[] = [];
      let from = `(${afterId}`;
      let scanned = 0;
      for (;;) {
        // The last page asks for one entry past the bound: it tells whether the stream goes on.
        const remaining = maxEntries - scanned;
        const count = remaining > PAGE ? PAGE : remaining + 1;
        const page = await redis.xrange(key, from, '+', 'COUNT', count);
        const kept = page.slice(0, remaining);
        scanned += kept.length;
        for (const [id, flat] of kept) {
          const fields: Record<string, string> = {};
          for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
          if (fields.jobId !== jobId) continue;
          const event = fromFields(id, fields);
          if (event && (LIVE_EVENTS as readonly string[]).includes(event.event)) events.push(event);
        }
        if (page.length < count) return { events, complete: true, scanned };
        if (scanned >= maxEntries) return { events, complete: false, scanned };
        from = `(${page[page.length - 1]![0]}`;
      }
    },

    latestId,

    async oldestId() {
      return (await redis.xrange(key, '-', '+', 'COUNT', 1))[0]?.[0];
    },

    async nowId() {
      // TIME of the node that holds the stream (a cluster sends a keyless TIME to any node).
      const [seconds = 0, micros = 0] = (await redis.eval("return redis.call('TIME')", 1, key)) as [string, string];
      const ms = BigInt(seconds) * 1000n + BigInt(micros) / 1000n;
      // The end of the previous millisecond: entries added later in this one still lie past it.
      return `${ms - 1n}-${MAX_SEQ}`;
    },

    subscriberCount() {
      let n = 0;
      for (const set of listeners.values()) n += set.size;
      return n;
    },

    async close() {
      listeners.clear();
      await reader.close();
    },
  };
}
