import type { RedisClient as Redis } from './redis.js';
import { CANCELLED_REASON, type JobState } from '../schemas/job.js';
import { serviceKeys } from './keys.js';
import type { TrainingQueue } from './training-queue.js';

/** Ids read and classified per round of Redis commands. */
export const STATE_CHUNK = 1000;

/**
 * What a batch of job ids are, from BullMQ's finished sets and the tombstones alone, a few
 * commands per thousand ids, no job hash read: `finished` holds the jobs that are completed,
 * failed or cancelled; every other id is queued, running or gone, and is left to the caller,
 * who reads those few one by one (a tenant's queued and running jobs are held to its quotas).
 */
export function createStateClassifier(redis: Redis, queue: TrainingQueue, prefix: string) {
  const { cancelled } = serviceKeys(prefix);
  return async function classify(ids: string[]): Promise<{ finished: Map<string, JobState>; open: string[] }> {
    const finished = new Map<string, JobState>();
    if (ids.length === 0) return { finished, open: [] };
    const [done, failed, tombs] = (await redis
      .pipeline()
      .zmscore(queue.keys.completed!, ...ids)
      .zmscore(queue.keys.failed!, ...ids)
      .hmget(cancelled, ...ids)
      .exec()
      .then(unwrap)) as [(string | null)[], (string | null)[], (string | null)[]];
    const failedIds = ids.filter((_, i) => failed[i] !== null);
    // A job cancelled while it ran is a failed one with the cancel reason.
    const reasons =
      failedIds.length === 0
        ? []
        : ((await failedIds
            .reduce((p, id) => p.hget(queue.toKey(id), 'failedReason'), redis.pipeline())
            .exec()
            .then(unwrap)) as (string | null)[]);
    failedIds.forEach((id, i) => finished.set(id, reasons[i] === CANCELLED_REASON ? 'cancelled' : 'failed'));
    ids.forEach((id, i) => {
      if (done[i] !== null) finished.set(id, 'completed');
      else if (tombs[i] !== null) finished.set(id, 'cancelled');
    });
    return { finished, open: ids.filter((id) => !finished.has(id)) };
  };
}

function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  const failed = results?.find(([err]) => err)?.[0];
  if (failed) throw failed;
  return (results ?? []).map(([, value]) => value);
}
