import { TRAINING_QUEUE } from './training-queue.js';

/**
 * Every Redis key and channel the service keeps beside BullMQ's own, built from one prefix in one
 * place, as BullMQ's QueueKeys does for its keys. The names are stored data: change none.
 *
 * Each name starts with the prefix, so in cluster mode, where the prefix is a hash tag such as
 * `{trainyard}`, all of them hash to BullMQ's slot. They must: MULTI blocks (tombstones, quotas,
 * auth failures), pipelines of job hashes (tenant listings) and the running-quota script (which
 * reads job locks it does not declare) touch several of them, or BullMQ's, at once.
 */
export function serviceKeys(prefix: string) {
  const queue = `${prefix}:${TRAINING_QUEUE}`;
  return {
    /** BullMQ's events stream of the training queue, read by the job feed. */
    events: `${queue}:events`,
    cancelChannel: `${queue}:cancel`,
    cancel: (jobId: string) => `${queue}:cancel:${jobId}`,
    queuedBy: (owner: string) => `${queue}:queued-by:${owner}`,
    runningBy: (owner: string) => `${queue}:running-by:${owner}`,
    cancelled: `${queue}:cancelled`,
    cancelledIndex: `${queue}:cancelled:index`,
    idempotency: (key: string) => `${prefix}:idempotency:${key}`,
    /** Another tenant's idempotency keys: a family of their own, so no tenant's key can name another's. */
    tenantIdempotency: (tenant: string, key: string) => `${prefix}:tenant:${tenant}:idempotency:${key}`,
    /** A tenant's jobs by creation time (a sorted set of ids): its listing reads only its own. */
    tenantJobs: (tenant: string) => `${queue}:tenant:${tenant}:jobs`,
    /** Every tenant that has submitted a job or stored a dataset (for admins). */
    tenants: `${queue}:tenants`,
    /** Set once the jobs from before tenants have been indexed under the default tenant. */
    tenantIndexBuilt: `${queue}:tenant-index:v1`,
    authFailures: (ip: string) => `${prefix}:auth-failures:${ip}`,
    /** A tenant's registered model names by creation time. */
    registryModels: (tenant: string) => `${prefix}:registry:${tenant}:models`,
    /** A tenant's model ids (version ids) → `name/version`. */
    registryIds: (tenant: string) => `${prefix}:registry:${tenant}:ids`,
    /** One registered model's keys, one family under one base (a future hash tag wraps the base). */
    registryModel: (tenant: string, name: string) => {
      const base = `${prefix}:registry:${tenant}:model:${name}`;
      return {
        meta: base,
        versions: `${base}:versions`,
        aliases: `${base}:aliases`,
        history: `${base}:history`,
        jobs: `${base}:jobs`,
      };
    },
    /** pub/sub: a registered model changed (`tenant/name`); every API replica drops what it cached. */
    registryChanges: `${prefix}:registry:changes`,
  };
}

/** The prefix a BullMQ queue was made with (BullMQ's own default is "bull"). */
export const prefixOf = (queue: { opts: { prefix?: string } }): string => queue.opts.prefix ?? 'bull';
