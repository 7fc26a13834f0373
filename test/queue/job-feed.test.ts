import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { MAX_RESUME_SCAN, compareIds, eventsKey, type JobEventHub } from '../../src/queue/job-events.js';
import { finalEventId, openJobFeed, type FeedEvent } from '../../src/queue/job-feed.js';
import type { TrainingJob } from '../../src/schemas/job.js';
import { createApiDeps } from '../../src/runtime.js';
import { testConfig } from '../helpers/app.js';
import { waitFor } from '../helpers/processes.js';

/**
 * The feed against the real events stream: entries are written as BullMQ writes them, so the
 * moments that matter (an event landing while a feed catches up) happen on cue.
 */
describe('job feed', () => {
  let config: Config;
  let deps: AppDeps;
  let close: () => Promise<void>;
  beforeAll(async () => {
    config = await testConfig();
    ({ deps, close } = await createApiDeps(config));
  });
  afterAll(async () => {
    await close();
    await rm(config.DATA_DIR, { recursive: true, force: true });
  });

  const progress = (epoch: number) => ({
    epoch,
    epochs: 3,
    loss: 1 / epoch,
    accuracy: 0.5,
    samplesPerSecond: 100,
    history: [],
  });
  const addProgress = (jobId: string, epoch: number) =>
    deps.redis.xadd(
      eventsKey(config.QUEUE_PREFIX),
      '*',
      'event',
      'progress',
      'jobId',
      jobId,
      'data',
      JSON.stringify(progress(epoch)),
    );

  /** Runs a feed until it ends; `during` runs once it is open. */
  function collect(
    hub: JobEventHub,
    jobId: string,
    lastEventId: string | undefined,
    during: (sent: FeedEvent[]) => Promise<unknown>,
    job?: TrainingJob,
  ) {
    const events: FeedEvent[] = [];
    return new Promise<FeedEvent[]>((resolve, reject) => {
      openJobFeed({
        hub,
        jobs: deps.jobs,
        jobId,
        job,
        lastEventId,
        send: (e) => events.push(e),
        end: () => resolve(events),
        fail: reject,
      });
      during(events).catch(reject);
    });
  }

  it('sends events written while it catches up once, in order, then the live ones', async () => {
    const { job } = await deps.jobs.submit({ epochs: 3 });
    const resumeFrom = await deps.jobEvents.latestId();
    await addProgress(job.id, 1);
    // These land after the feed has subscribed and before it reads the stream: it both reads
    // them and hears them live.
    const hub: JobEventHub = {
      ...deps.jobEvents,
      async readAfter(jobId, afterId) {
        await addProgress(job.id, 2);
        await addProgress(job.id, 3);
        return deps.jobEvents.readAfter(jobId, afterId);
      },
    };
    const events = await collect(hub, job.id, resumeFrom, () => deps.jobs.cancel(job.id));
    expect(events.map((e) => (e.event === 'progress' ? e.data.epoch : e.event))).toEqual([1, 2, 3, 'cancelled']);
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    expect(deps.jobEvents.subscriberCount()).toBe(0);
  });

  it('starts from the current state when the events after Last-Event-ID have been trimmed away', async () => {
    const { job } = await deps.jobs.submit({ epochs: 3 });
    await addProgress(job.id, 1);
    await addProgress(job.id, 2);
    await deps.redis.xtrim(eventsKey(config.QUEUE_PREFIX), 'MAXLEN', 1);
    const latest = await deps.jobEvents.latestId();
    // A reconnect comes later than the trim: a first id made within the latest entry's own
    // millisecond is, by design, the end of the millisecond before (nowId), not past that entry.
    await new Promise((resolve) => setTimeout(resolve, 3));
    const events = await collect(deps.jobEvents, job.id, '1-0', () => deps.jobs.cancel(job.id));
    expect(events.map((e) => e.event)).toEqual(['state', 'cancelled']);
    expect(compareIds(events[0]!.id, latest)).toBeGreaterThan(0);
  });

  it('starts from the current state when Last-Event-ID is newer than anything in the stream', async () => {
    const { job } = await deps.jobs.submit({ epochs: 3 });
    const future = `${Date.now() + 86_400_000}-0`; // a flushed stream, or a made-up id
    const events = await collect(deps.jobEvents, job.id, future, () => deps.jobs.cancel(job.id));
    expect(events.map((e) => e.event)).toEqual(['state', 'cancelled']);
    expect(events[0]!.data).toEqual({ state: 'queued' });
  });

  it('ignores other jobs', async () => {
    const { job } = await deps.jobs.submit({ epochs: 3 });
    const { job: other } = await deps.jobs.submit({ epochs: 3 });
    const events = await collect(deps.jobEvents, job.id, undefined, async () => {
      await addProgress(other.id, 1);
      await deps.jobs.cancel(other.id);
      await deps.jobs.cancel(job.id);
    });
    expect(events.map((e) => [e.event, (e.data as { id?: string; state?: string }).state])).toEqual([
      ['state', 'queued'],
      ['cancelled', 'cancelled'],
    ]);
    expect(events.every((e) => e.event === 'state' || (e.data as { id: string }).id === job.id)).toBe(true);
  });

  it("gives a new connection a first id that tells nothing of other jobs' events", async () => {
    const { job } = await deps.jobs.submit({ epochs: 3 });
    const key = eventsKey(config.QUEUE_PREFIX);
    const ids = async () => {
      const events = await collect(deps.jobEvents, job.id, undefined, async (sent) => {
        await waitFor(async () => (sent.length > 0 ? true : undefined), 10_000, 10);
        await deps.jobs.cancel(job.id);
      });
      return events[0]!.id;
    };
    const before = await deps.redis.time();
    // Another tenant's job moves a hundred times: the first id is Redis' clock, not the stream's position.
    const batch = deps.redis.pipeline();
    for (let i = 0; i < 100; i++) batch.xadd(key, '*', 'event', 'progress', 'jobId', 'someone-else', 'data', '{}');
    await batch.exec();
    const first = await ids();
    expect(first).toMatch(/^\d+-18446744073709551615$/);
    expect(first).not.toBe(await deps.jobEvents.latestId());
    const ms = Number(first.split('-')[0]);
    expect(ms).toBeGreaterThanOrEqual(Number(before[0]) * 1000 - 1);
  });

  /** The real hub, counting the stream entries its reads return. */
  function countingHub() {
    const read = { entries: 0, calls: 0 };
    const hub: JobEventHub = {
      ...deps.jobEvents,
      async readAfter(jobId, afterId, max) {
        const result = await deps.jobEvents.readAfter(jobId, afterId, max);
        read.calls++;
        read.entries += result.scanned;
        return result;
      },
      async oldestId() {
        read.calls++;
        return deps.jobEvents.oldestId();
      },
      async latestId() {
        read.calls++;
        return deps.jobEvents.latestId();
      },
      async nowId() {
        read.calls++;
        return deps.jobEvents.nowId();
      },
    };
    return { hub, read };
  }

  it('reads at most a bounded number of entries, and says whether the stream went on past them', async () => {
    const { job } = await deps.jobs.submit({ epochs: 3 });
    const from = await deps.jobEvents.latestId();
    for (let epoch = 1; epoch <= 3; epoch++) await addProgress(job.id, epoch);
    const all = await deps.jobEvents.readAfter(job.id, from, 3);
    expect(all).toMatchObject({ complete: true, scanned: 3 });
    expect(all.events.map((e) => (e.data as { epoch: number }).epoch)).toEqual([1, 2, 3]);
    const part = await deps.jobEvents.readAfter(job.id, from, 2);
    expect(part).toMatchObject({ complete: false, scanned: 2 });
    expect(part.events).toHaveLength(2);
    await deps.jobs.cancel(job.id);
  });

  it('answers a reconnect at the oldest of 10,000 entries with the snapshot, reading at most MAX_RESUME_SCAN', async () => {
    const { job } = await deps.jobs.submit({ epochs: 3 });
    const key = eventsKey(config.QUEUE_PREFIX);
    for (let i = 0; i < 10_000; i += 1000) {
      const batch = deps.redis.pipeline();
      for (let j = 0; j < 1000; j++) batch.xadd(key, '*', 'event', 'progress', 'jobId', `other-${j % 7}`, 'data', '{}');
      await batch.exec();
    }
    const oldest = (await deps.jobEvents.oldestId())!;
    const latest = await deps.jobEvents.latestId();
    const { hub, read } = countingHub();
    // Cancelled once the snapshot is out, so that the snapshot finds the job queued.
    const events = await collect(hub, job.id, oldest, async (sent) => {
      await waitFor(async () => (sent.length > 0 ? true : undefined), 10_000, 10);
      await deps.jobs.cancel(job.id);
    });
    expect(events.map((e) => e.event)).toEqual(['state', 'cancelled']);
    expect(events[0]).toMatchObject({ event: 'state', data: { state: 'queued' } });
    expect(compareIds(events[0]!.id, latest)).toBeGreaterThan(0);
    expect(read.entries).toBe(MAX_RESUME_SCAN);
    await deps.redis.xtrim(key, 'MAXLEN', 0);
  });

  it('answers a reconnect to a finished job from its record, without reading the stream', async () => {
    const { job } = await deps.jobs.submit({ epochs: 3 });
    await addProgress(job.id, 1);
    const cancelled = await deps.jobs.cancel(job.id);
    const { hub, read } = countingHub();
    const events = await collect(hub, job.id, '0-0', async () => {}, cancelled);
    expect(events).toEqual([{ id: finalEventId(cancelled), event: 'cancelled', data: cancelled }]);
    // A fresh connection: its state, then the final event, whose id is past every other.
    const fresh = await collect(hub, job.id, undefined, async () => {}, cancelled);
    expect(fresh.map((e) => e.event)).toEqual(['state', 'cancelled']);
    expect(compareIds(fresh[1]!.id, fresh[0]!.id)).toBeGreaterThan(0);
    expect(fresh[1]!.id).toBe(finalEventId(cancelled));
    expect(read.calls).toBe(0);
  });

  it('gives the final event an id past the events before it when it arrives live', async () => {
    const { job } = await deps.jobs.submit({ epochs: 3 });
    const events = await collect(deps.jobEvents, job.id, undefined, () => deps.jobs.cancel(job.id));
    const final = events.at(-1)!;
    expect(final.event).toBe('cancelled');
    expect(final.id).toBe(finalEventId(final.data as TrainingJob));
    expect(compareIds(final.id, events[0]!.id)).toBeGreaterThan(0);
  });
});
