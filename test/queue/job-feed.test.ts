import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { eventsKey, type JobEventHub } from '../../src/queue/job-events.js';
import { openJobFeed, type FeedEvent } from '../../src/queue/job-feed.js';
import { createApiDeps } from '../../src/runtime.js';
import { testConfig } from '../helpers/app.js';

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
  function collect(hub: JobEventHub, jobId: string, lastEventId: string | undefined, during: () => Promise<unknown>) {
    const events: FeedEvent[] = [];
    return new Promise<FeedEvent[]>((resolve, reject) => {
      openJobFeed({
        hub,
        jobs: deps.jobs,
        jobId,
        lastEventId,
        send: (e) => events.push(e),
        end: () => resolve(events),
        fail: reject,
      });
      during().catch(reject);
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
    const events = await collect(deps.jobEvents, job.id, '1-0', () => deps.jobs.cancel(job.id));
    expect(events.map((e) => [e.event, e.id === latest])).toEqual([
      ['state', true],
      ['cancelled', false],
    ]);
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
});
