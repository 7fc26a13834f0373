import type { RedisClient as Redis } from './redis.js';
import type { TrainingJob } from '../schemas/job.js';
import { serviceKeys } from './keys.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';
import { deriveModelName } from '../schemas/registry.js';

/**
 * Jobs cancelled while still queued: BullMQ removes them from the queue outright, so their
 * final resource is kept here (a hash by id, a sorted set by time for listing and trimming)
 * for as long as finished jobs are kept.
 */
type OldTombstone = Partial<TrainingJob> & Omit<TrainingJob, RegistryFields | 'tenant'>;
type RegistryFields = 'model' | 'promote' | 'modelVersion' | 'promotion';

// Tombstones from before the registry carry no model name: derived from the job's name, as for jobs.
const withTenant = (job: OldTombstone): TrainingJob => ({
  ...job,
  tenant: job.tenant ?? DEFAULT_TENANT,
  model: job.model ?? deriveModelName(job.name),
  promote: job.promote ?? null,
  modelVersion: job.modelVersion ?? null,
  promotion: job.promotion ?? null,
});

export function createTombstones(client: () => Promise<Redis>, prefix: string, retentionDays: number) {
  const { cancelled: hash, cancelledIndex: index } = serviceKeys(prefix);
  // Tombstones from before tenants carry none: they are the default tenant's.
  const parse = (raw: string | null): TrainingJob | undefined =>
    raw ? withTenant(JSON.parse(raw) as OldTombstone) : undefined;
  return {
    async put(job: TrainingJob): Promise<void> {
      const redis = await client();
      const now = Date.now();
      const expired = await redis.zrangebyscore(index, 0, now - retentionDays * 86_400_000);
      const tx = redis.multi().hset(hash, job.id, JSON.stringify(job)).zadd(index, now, job.id);
      if (expired.length > 0) tx.hdel(hash, ...expired).zrem(index, ...expired);
      await tx.exec();
    },
    async get(id: string): Promise<TrainingJob | undefined> {
      return parse(await (await client()).hget(hash, id));
    },
    async list(limit: number): Promise<TrainingJob[]> {
      const redis = await client();
      const ids = await redis.zrevrange(index, 0, limit - 1);
      if (ids.length === 0) return [];
      return (await redis.hmget(hash, ...ids)).map(parse).filter((j): j is TrainingJob => j !== undefined);
    },
    async count(): Promise<number> {
      return (await client()).zcard(index);
    },
    async remove(id: string): Promise<boolean> {
      const redis = await client();
      const [[, removed] = []] = (await redis.multi().hdel(hash, id).zrem(index, id).exec()) ?? [];
      return removed === 1;
    },
  };
}
