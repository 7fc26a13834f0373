import type { RedisClient as Redis } from './redis.js';
import { TooManyRequestsError } from '../errors.js';
import type { TrainingQueue } from './training-queue.js';
import { serviceKeys } from './keys.js';
import { isQueuedBullState } from './bull-states.js';

export interface QueuedQuota {
  /** Throws a 429 when `owner` already has `max` jobs waiting in the queue. */
  check(owner: string): Promise<void>;
  record(owner: string, jobId: string): Promise<void>;
}

/**
 * MAX_QUEUED_JOBS_PER_KEY: a set of job ids per caller in Redis, shared by every API replica.
 * Ids are only looked up (and the ones no longer queued dropped) once the set reaches the limit,
 * so a submission under the limit costs one SCARD; the set never holds many more than `max` ids.
 * Two submissions racing at the limit may both pass: the limit is a guard, not an exact count.
 */
export function createQueuedQuota({
  redis,
  queue,
  prefix,
  max,
}: {
  redis: Redis;
  queue: Pick<TrainingQueue, 'getJobState'>;
  prefix: string;
  max: number;
}): QueuedQuota {
  const key = serviceKeys(prefix).queuedBy;
  return {
    async check(owner) {
      if (max <= 0 || (await redis.scard(key(owner))) < max) return;
      const ids = await redis.smembers(key(owner));
      const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
      const gone = ids.filter((_, i) => !isQueuedBullState(states[i]!));
      if (gone.length > 0) await redis.srem(key(owner), ...gone);
      if (ids.length - gone.length >= max) {
        throw new TooManyRequestsError(
          `you already have ${max} job${max === 1 ? '' : 's'} waiting in the queue (MAX_QUEUED_JOBS_PER_KEY); wait for some to start or cancel them`,
          'TOO_MANY_QUEUED_JOBS',
        );
      }
    },
    async record(owner, jobId) {
      if (max <= 0) return;
      // A week without submissions lets the set expire; pruning keeps it small meanwhile.
      await redis
        .multi()
        .sadd(key(owner), jobId)
        .expire(key(owner), 7 * 86_400)
        .exec();
    },
  };
}
