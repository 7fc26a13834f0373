import type { TrainingQueue } from './training-queue.js';
import { JOB_STATES, type JobState, type TrainingJob } from '../schemas/job.js';
import { BULL_KEYS, BULL_STATES } from './bull-states.js';
import { toJobResource } from './job-resource.js';
import type { TenantJobIndex } from './tenant-jobs.js';
import { STATE_CHUNK, type createStateClassifier } from './tenant-states.js';
import type { createTombstones } from './tombstones.js';

/** How many of a tenant's newest jobs a listing by state looks through, and a count counts. */
export const MAX_STATE_SCAN = 20_000;
const MAX_COUNT_SCAN = 100_000;

/**
 * The job listings: every tenant's for admins, from BullMQ's sets and the tombstones; one
 * tenant's from its own index, by state through the state classifier.
 */
export function createJobListing({
  queue,
  tombstones,
  index,
  classify,
  find,
  indexed,
}: {
  queue: TrainingQueue;
  tombstones: ReturnType<typeof createTombstones>;
  index: TenantJobIndex;
  classify: ReturnType<typeof createStateClassifier>;
  /** The job as it is now, or undefined when gone or another tenant's. */
  find(id: string, scope: string | undefined): Promise<TrainingJob | undefined>;
  /** Resolves once the jobs from before tenants are in the index. */
  indexed(): Promise<void>;
}) {
  const newest = async (s: keyof typeof BULL_STATES, from: number, count: number) =>
    (await queue.getJobs(BULL_STATES[s], from, from + count - 1, false)).map((j) => toJobResource(j, s));

  /**
   * Failed and cancelled-while-running jobs share BullMQ's failed set: asked for one of the two,
   * read the set page by page until `limit` of that kind are found or the set ends.
   */
  async function failedJobs(state: 'failed' | 'cancelled', limit: number): Promise<TrainingJob[]> {
    const found: TrainingJob[] = [];
    for (let from = 0; found.length < limit; from += limit) {
      const page = await newest('failed', from, limit);
      found.push(...page.filter((j) => j.state === state));
      if (page.length < limit) break;
    }
    return found.slice(0, limit);
  }

  /** Every tenant's jobs (admins): BullMQ's sets and the tombstones, newest first. */
  async function listAll(state: JobState | undefined, limit: number): Promise<TrainingJob[]> {
    // Cancelled jobs are failed ones with the cancel reason, or tombstones of queued ones.
    const bullStates = state === 'cancelled' ? ['failed' as const] : state ? [state] : BULL_KEYS;
    const groups = await Promise.all(
      bullStates.map((s) =>
        s === 'failed' && (state === 'failed' || state === 'cancelled')
          ? failedJobs(state, limit)
          : newest(s, 0, limit),
      ),
    );
    if (!state || state === 'cancelled') groups.push(await tombstones.list(limit));
    return groups
      .flat()
      .filter((j) => !state || j.state === state)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, limit);
  }

  /** One tenant's jobs: read from its index page by page, dropping ids whose job is gone. */
  async function listTenant(tenant: string, state: JobState | undefined, limit: number): Promise<TrainingJob[]> {
    await indexed();
    if (state) return listTenantIn(tenant, [state], limit);
    const found: TrainingJob[] = [];
    const page = Math.max(limit, 50);
    for (let from = 0; found.length < limit; from += page) {
      const ids = await index.page(tenant, from, page);
      const jobs = await Promise.all(ids.map((id) => find(id, tenant)));
      const gone = ids.filter((_, i) => jobs[i] === undefined);
      found.push(...jobs.filter((j): j is TrainingJob => !!j));
      if (ids.length < page) break;
      if (gone.length > 0) {
        await index.drop(tenant, gone);
        from -= gone.length; // the set shifted under the cursor
      }
    }
    return found.slice(0, limit);
  }

  /**
   * One tenant's jobs in one state, newest first: its index read a thousand ids at a time and
   * sorted by BullMQ's finished sets, so that only the jobs shown (and the few queued or running
   * ones) are read whole. At most MAX_STATE_SCAN of the tenant's newest jobs are looked through.
   */
  async function listTenantIn(tenant: string, states: readonly JobState[], limit: number): Promise<TrainingJob[]> {
    const found: TrainingJob[] = [];
    const gone: string[] = [];
    // Open ids (queued, running or gone) are read whole only when an open state is asked for.
    const wantsOpen = states.some((s) => s === 'queued' || s === 'running');
    for (let from = 0; found.length < limit && from < MAX_STATE_SCAN; from += STATE_CHUNK) {
      const ids = await index.page(tenant, from, STATE_CHUNK);
      const { finished } = await classify(ids);
      const wanted = ids.filter((id) => {
        const state = finished.get(id);
        return state === undefined ? wantsOpen : states.includes(state);
      });
      for (let i = 0; i < wanted.length && found.length < limit; i += 50) {
        const jobs = await Promise.all(wanted.slice(i, i + 50).map((id) => find(id, tenant)));
        jobs.forEach((job, j) => (job ? states.includes(job.state) && found.push(job) : gone.push(wanted[i + j]!)));
      }
      if (ids.length < STATE_CHUNK) break;
    }
    await index.drop(tenant, gone);
    return found.slice(0, limit);
  }

  /** A tenant's jobs by state: finished ones counted from BullMQ's sets, open ones read one by one. */
  async function countTenant(tenant: string): Promise<Record<JobState, number>> {
    await indexed();
    const counted = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    const gone: string[] = [];
    for (let from = 0; from < MAX_COUNT_SCAN; from += STATE_CHUNK) {
      const ids = await index.page(tenant, from, STATE_CHUNK);
      const { finished, open } = await classify(ids);
      for (const state of finished.values()) counted[state]++;
      const jobs = await Promise.all(open.map((id) => find(id, tenant)));
      jobs.forEach((job, i) => (job ? counted[job.state]++ : gone.push(open[i]!)));
      if (ids.length < STATE_CHUNK) break;
    }
    await index.drop(tenant, gone);
    return counted;
  }

  return { listAll, listTenant, listTenantIn, countTenant };
}
