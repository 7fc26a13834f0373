import { NotFoundError } from '../errors.js';
import {
  isFinal,
  isProgress,
  type FinalJobState,
  type JobState,
  type Progress,
  type TrainingJob,
} from '../schemas/job.js';
import { MAX_RESUME_SCAN, compareIds, type JobEventHub, type QueueEvent } from './job-events.js';
import type { JobService } from './job-service.js';

export type FeedEvent =
  | { id: string; event: 'state'; data: { state: JobState } }
  | { id: string; event: 'progress'; data: Progress }
  | { id: string; event: FinalJobState; data: TrainingJob };

export interface FeedOptions {
  hub: JobEventHub;
  jobs: Pick<JobService, 'get'>;
  jobId: string;
  /** The job as the caller has just read it: a finished job is answered from it alone. */
  job?: TrainingJob;
  /** The id of the last event the client saw: the feed resumes right after it. */
  lastEventId?: string;
  send(event: FeedEvent): void;
  /** Called once, after the final event. */
  end(): void;
  /** Redis failed while the feed was reading: the client should reconnect with its last id. */
  fail(err: unknown): void;
}

export interface JobFeed {
  close(): void;
}

/**
 * A finished job's events get ids from its record, so that a reconnect is answered without
 * reading the events stream: its state and progress `<finishedAt ms>-0`, its final event that
 * plus a margin (or the stream entry's id if later). Every earlier event of the job has a
 * smaller id as long as the clocks of Redis, the workers and the API differ by less than the margin.
 */
const CLOCK_MARGIN_MS = 60_000;
const finishedMs = (job: TrainingJob) => Date.parse(job.finishedAt ?? job.createdAt);
const finishedId = (job: TrainingJob) => `${finishedMs(job)}-0`;
/** The id of a finished job's final event: a Last-Event-ID at or past it has had everything. */
export const finalEventId = (job: TrainingJob) => `${finishedMs(job) + CLOCK_MARGIN_MS}-0`;
const later = (a: string, b: string) => (compareIds(a, b) >= 0 ? a : b);

/** The job states BullMQ's events move a job into; other events are not state changes. */
const STATE_OF: Record<string, JobState> = { active: 'running', waiting: 'queued', delayed: 'queued' };

/**
 * One client's view of one job: what it missed (the current snapshot on a fresh connect, the
 * recorded events after its Last-Event-ID on a reconnect), then live events until the job ends.
 * Live events are subscribed to before anything is read, held until the catch-up is sent, and
 * passed on only when newer than the last one sent: nothing is skipped and nothing repeats.
 * Two answers give that up for bounded work: a reconnect to a finished job gets its final event
 * alone (the job it carries holds every epoch), and one whose missed events are trimmed away or
 * lie beyond MAX_RESUME_SCAN entries gets the snapshot, which may repeat its last state or progress.
 */
export function openJobFeed({ hub, jobs, jobId, job: known, lastEventId, send, end, fail }: FeedOptions): JobFeed {
  let closed = false;
  let caughtUp = false;
  let cursor = lastEventId ?? '0-0';
  let lastState: JobState | undefined;
  let lastProgress: string | undefined;
  const held: QueueEvent[] = [];
  // Finals need the job's resource (an await): events are handled one after another, in order.
  let chain = Promise.resolve();

  const emit = (event: FeedEvent) => {
    if (closed) return;
    if (event.event === 'state') {
      if (event.data.state === lastState) return;
      lastState = event.data.state;
    } else if (event.event === 'progress') {
      const text = JSON.stringify(event.data);
      if (text === lastProgress) return;
      lastProgress = text;
    }
    send(event);
    if (isFinal(event.event)) finish();
  };

  const finish = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    end();
  };

  /** The final event from the job's current resource, or its state if it has been retried meanwhile. */
  async function settle(id: string): Promise<void> {
    let job: TrainingJob;
    try {
      job = await jobs.get(jobId);
    } catch (err) {
      if (err instanceof NotFoundError) return finish(); // deleted meanwhile: nothing more will come
      throw err;
    }
    if (isFinal(job.state)) emit({ id: later(id, finalEventId(job)), event: job.state, data: job });
    else emit({ id, event: 'state', data: { state: job.state } });
  }

  /** A finished job from its record: its final event, after its state and progress on a fresh connect. */
  function finished(job: TrainingJob & { state: FinalJobState }, resuming: boolean): void {
    if (!resuming) {
      emit({ id: finishedId(job), event: 'state', data: { state: job.state } });
      if (job.progress.epoch > 0) emit({ id: finishedId(job), event: 'progress', data: job.progress });
    }
    emit({ id: finalEventId(job), event: job.state, data: job });
  }

  async function handle(e: QueueEvent): Promise<void> {
    if (closed || compareIds(e.id, cursor) <= 0) return;
    cursor = e.id;
    if (e.event === 'progress') {
      if (isProgress(e.data)) emit({ id: e.id, event: 'progress', data: e.data });
    } else if (Object.hasOwn(STATE_OF, e.event)) {
      emit({ id: e.id, event: 'state', data: { state: STATE_OF[e.event]! } });
    } else if (isFinal(e.event)) {
      await settle(e.id);
    }
  }

  const enqueue = (e: QueueEvent) => {
    chain = chain.then(() => handle(e)).catch(onError);
  };

  const unsubscribe = hub.subscribe(jobId, (e) => {
    if (caughtUp) enqueue(e);
    else held.push(e);
  });

  function onError(err: unknown) {
    if (closed) return;
    closed = true;
    unsubscribe();
    fail(err);
  }

  async function snapshot(): Promise<void> {
    // Not the stream's newest id: that would tell this tenant when any other tenant's job moved.
    cursor = await hub.nowId();
    const job = await jobs.get(jobId);
    if (isFinal(job.state)) return finished({ ...job, state: job.state }, lastEventId !== undefined);
    emit({ id: cursor, event: 'state', data: { state: job.state } });
    if (job.progress.epoch > 0) emit({ id: cursor, event: 'progress', data: job.progress });
  }

  /** The events after the client's id, or the snapshot when they cannot all be read cheaply. */
  async function resume(after: string): Promise<void> {
    const [oldest, latest] = await Promise.all([hub.oldestId(), hub.latestId()]);
    // Entries after the client's id may have been trimmed from the stream, or the id is newer than
    // anything in it (a stream flushed since, or a made-up id) and no event would ever pass it:
    // either way, start afresh.
    if ((oldest !== undefined && compareIds(oldest, after) > 0) || compareIds(after, latest) > 0) return snapshot();
    const read = await hub.readAfter(jobId, after, MAX_RESUME_SCAN);
    if (!read.complete) return snapshot();
    for (const e of read.events) await handle(e);
  }

  async function catchUp(): Promise<void> {
    if (known && isFinal(known.state)) finished({ ...known, state: known.state }, lastEventId !== undefined);
    else if (lastEventId === undefined) await snapshot();
    else await resume(lastEventId);
    caughtUp = true;
    for (const e of held.splice(0)) enqueue(e);
  }

  // Started on the next tick: a finished job may end the feed before openJobFeed has returned.
  chain = Promise.resolve().then(catchUp).catch(onError);

  return {
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
    },
  };
}
