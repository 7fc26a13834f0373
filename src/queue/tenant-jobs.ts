import type { RedisClient as Redis } from './redis.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';
import { serviceKeys } from './keys.js';

/**
 * Each tenant's job ids in a sorted set by creation time, so that a tenant's listing reads its
 * own ids and nothing of other tenants': its cost grows with its own jobs, not with the number
 * of tenants or their jobs. BullMQ keeps the jobs themselves; an id whose job is gone is dropped
 * when a listing meets it. A set of tenant names serves admins.
 */
export function createTenantJobIndex(redis: Redis, prefix: string, retentionDays = 7) {
  const keys = serviceKeys(prefix);
  const retentionMs = retentionDays * 86_400_000;
  return {
    // Plain commands, not MULTI: Redis refusing a write (maxmemory, a replica) then answers with
    // its own error, which the API maps to a 503, instead of MULTI's EXECABORT.
    async add(tenant: string, jobId: string, createdAt: number): Promise<void> {
      await redis.zadd(keys.tenantJobs(tenant), createdAt, jobId);
      // Jobs made twice the retention ago have finished and been forgotten by BullMQ and the
      // tombstones (retention counts from the end of a job): trimmed, so the index stays bounded.
      await redis.zremrangebyscore(keys.tenantJobs(tenant), 0, createdAt - 2 * retentionMs);
      await redis.sadd(keys.tenants, tenant);
    },
    /** Ids newest first, `count` from position `from`. */
    page: (tenant: string, from: number, count: number) =>
      redis.zrevrange(keys.tenantJobs(tenant), from, from + count - 1),
    async drop(tenant: string, ids: string[]): Promise<void> {
      if (ids.length > 0) await redis.zrem(keys.tenantJobs(tenant), ...ids);
    },
    async register(tenant: string): Promise<void> {
      await redis.sadd(keys.tenants, tenant);
    },
    /** Tenants that ever submitted a job or stored a dataset, sorted. */
    async tenants(): Promise<string[]> {
      return (await redis.smembers(keys.tenants)).sort();
    },
    /**
     * Once per deployment: jobs queued before tenants existed (no tenant recorded) are indexed
     * under the default tenant. Safe to run from several replicas at once (ZADD is idempotent).
     */
    async backfill(existing: () => Promise<{ id: string; tenant?: string; createdAt: number }[]>): Promise<void> {
      if (await redis.exists(keys.tenantIndexBuilt)) return;
      const jobs = await existing();
      for (let i = 0; i < jobs.length; i += 500) {
        const batch = redis.pipeline();
        for (const job of jobs.slice(i, i + 500)) {
          const tenant = job.tenant ?? DEFAULT_TENANT;
          batch.zadd(keys.tenantJobs(tenant), job.createdAt, job.id).sadd(keys.tenants, tenant);
        }
        const failed = (await batch.exec())?.find(([err]) => err)?.[0];
        if (failed) throw failed;
      }
      await redis.set(keys.tenantIndexBuilt, '1');
    },
  };
}

export type TenantJobIndex = ReturnType<typeof createTenantJobIndex>;
