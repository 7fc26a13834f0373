import type { RedisClient as Redis } from './redis.js';
import { TRAINING_QUEUE } from './training-queue.js';
import { serviceKeys } from './keys.js';

export interface RunningQuota {
  /** Takes a running slot for `jobId`; false when `owner` already has `max` other jobs running. */
  acquire(owner: string, jobId: string): Promise<boolean>;
  release(owner: string, jobId: string): Promise<void>;
}

/**
 * Counts the owner's running jobs and takes a slot in one step, so two workers taking two of
 * one owner's jobs at once cannot both pass. A member counts only while its job's BullMQ lock
 * exists: a job that ended without releasing its slot (its trainer or worker died) stops counting
 * when its lock expires (JOB_LOCK_MS), and is dropped from the set then.
 */
const ACQUIRE = `
local running = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[1] then
    if redis.call('EXISTS', ARGV[4] .. id .. ':lock') == 1 then
      running = running + 1
    else
      redis.call('SREM', KEYS[1], id)
    end
  end
end
if running >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * MAX_RUNNING_JOBS_PER_KEY: a Redis set of running job ids per owner, shared by every worker.
 * The set is at most `max` live ids plus the stale ones the next acquire drops.
 */
export function createRunningQuota({
  redis,
  prefix,
  max,
}: {
  redis: Redis;
  prefix: string;
  max: number;
}): RunningQuota {
  const key = serviceKeys(prefix).runningBy;
  const jobKeyPrefix = `${prefix}:${TRAINING_QUEUE}:`;
  return {
    async acquire(owner, jobId) {
      if (max <= 0) return true;
      const taken = await redis.eval(ACQUIRE, 1, key(owner), jobId, max, 7 * 86_400, jobKeyPrefix);
      return taken === 1;
    },
    async release(owner, jobId) {
      if (max <= 0) return;
      await redis.srem(key(owner), jobId);
    },
  };
}
