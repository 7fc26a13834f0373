import { randomUUID } from 'node:crypto';
import type { JobType } from 'bullmq';
import type { RedisClient as Redis } from './redis.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { type CreateTrainingJob, type JobState, type TrainingJob, type TrainingJobData } from '../schemas/job.js';
import { jobModelOf } from './job-model.js';
import type { DatasetStore } from '../datasets/types.js';
import { DEFAULT_PARAMS, withDefaults } from '../training/params.js';
import type { CheckpointStore } from '../models/checkpoints.js';
import { checkShape, checkWork, jobTimeout, type JobLimits } from './budgets.js';
import { requestCancel } from './cancellation.js';
import { createIdempotency, type Outcome } from './idempotency.js';
import { publishCancelled } from './job-events.js';
import type { QueuedQuota } from './quotas.js';
import { createTombstones } from './tombstones.js';
import { TRAIN_JOB, type TrainingQueue } from './training-queue.js';
import { RESOURCE_ID } from '../schemas/common.js';
import { prefixOf } from './keys.js';
import { createTenantJobIndex } from './tenant-jobs.js';
import { createStateClassifier } from './tenant-states.js';
import { MAX_STATE_SCAN, createJobListing } from './job-listing.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';
import { BULL_STATES, toJobState } from './bull-states.js';
import { toJobResource } from './job-resource.js';

export const DEFAULT_DATASET = 'mnist-sample';

export { toJobState };
export { emptyProgress, toJobResource } from './job-resource.js';

/**
 * Which tenant's jobs a call may see: a tenant's name, or undefined for an admin, who sees
 * every tenant's. A job of another tenant answers exactly as one that does not exist.
 */
export type TenantScope = string | undefined;

/** Whom a job's quotas count, and the caller recorded in its model's lineage. */
type Who = { owner?: string | undefined; caller?: string | undefined };

export interface JobService {
  /**
   * Queues a job for `tenant` (default: the default tenant). With an idempotency key (one
   * namespace per tenant), a repeat within 24 h answers the first job (`replayed`) instead.
   * `owner` (whom quotas count) is held to MAX_QUEUED_JOBS_PER_KEY, and recorded in the job for
   * MAX_RUNNING_JOBS_PER_KEY. A job past `limits` is a 400 and is not queued.
   */
  submit(
    input: CreateTrainingJob,
    options?: { idempotencyKey?: string; owner?: string; tenant?: string; caller?: string },
  ): Promise<Outcome<TrainingJob>>;
  get(id: string, tenant?: TenantScope): Promise<TrainingJob>;
  list(query: { state?: JobState; limit?: number; tenant?: TenantScope }): Promise<TrainingJob[]>;
  /** Whether a queued or running job of `tenant` trains on this dataset. */
  usesDataset(datasetId: string, tenant?: string): Promise<boolean>;
  /** A queued job is removed and cancelled at once; a running one stops after its current batch. */
  cancel(id: string, tenant?: TenantScope): Promise<TrainingJob>;
  /** Forgets a finished job; answers it as it was. */
  remove(id: string, tenant?: TenantScope): Promise<TrainingJob>;
  /** How many jobs are in each state (for metrics); for one tenant, counted from its own index. */
  counts(tenant?: string): Promise<Record<JobState, number>>;
  /** Tenants that have submitted jobs or stored datasets. */
  tenants(): Promise<string[]>;
  /** Records a tenant as having stored something (a dataset upload). */
  registerTenant(tenant: string): Promise<void>;
}

export function createJobService({
  queue,
  datasets,
  retentionDays = 7,
  redis: client,
  checkpoints,
  quota,
  limits,
}: {
  redis: Redis;
  limits: JobLimits;
  quota?: QueuedQuota;
  checkpoints?: { forTenant(tenant: string): Pick<CheckpointStore, 'remove'> };
  queue: TrainingQueue;
  /** The datasets of a tenant: a job trains only on its own tenant's uploads or the built-ins. */
  datasets: { forTenant(tenant: string): Pick<DatasetStore, 'get'> };
  retentionDays?: number;
}): JobService {
  // Our own keys go through a plain ioredis client: BullMQ's `queue.client` is an adapter
  // whose commands take other argument shapes (hset of an object, for one).
  const redis = async () => client;
  const tombstones = createTombstones(redis, prefixOf(queue), retentionDays);
  const idempotency = createIdempotency(redis, prefixOf(queue));
  const index = createTenantJobIndex(client, prefixOf(queue), retentionDays);
  const notFound = (id: string) => new NotFoundError(`training job "${id}" not found`, 'JOB_NOT_FOUND');
  let backfilled: Promise<void> | undefined;
  const indexed = () =>
    (backfilled ??= index
      .backfill(async () => {
        const jobs = (await queue.getJobs([...Object.values(BULL_STATES).flat()])).filter((j) => j?.id);
        const cancelled = await tombstones.list(Number.MAX_SAFE_INTEGER);
        return [
          ...jobs.map((j) => ({ id: j.id!, tenant: j.data?.tenant, createdAt: j.timestamp })),
          ...cancelled.map((j) => ({ id: j.id, tenant: j.tenant, createdAt: Date.parse(j.createdAt) })),
        ];
      })
      .catch((err: unknown) => {
        backfilled = undefined; // tried again by the next listing
        throw err;
      }));

  /**
   * The job as it is now, from BullMQ or the tombstones; undefined when gone or owned by a tenant
   * outside `scope`. The owner is read before the state: another tenant's job costs no more work
   * than a missing one.
   */
  async function find(id: string, scope: TenantScope): Promise<TrainingJob | undefined> {
    const job = await queue.getJob(id);
    if (job) {
      if (scope !== undefined && (job.data.tenant ?? DEFAULT_TENANT) !== scope) {
        await tombstones.get(id); // the reads of a missing id, so that the time taken tells nothing
        return undefined;
      }
      const state = toJobState(await job.getState());
      // The record was read before the job finished, the state after: read the record again,
      // or a completed job would show no model and no metrics.
      if ((state === 'completed' || state === 'failed') && !job.finishedOn) {
        const done = await queue.getJob(id);
        if (done) return toJobResource(done, state);
      }
      return toJobResource(job, state);
    }
    const cancelled = await tombstones.get(id);
    return scope === undefined || cancelled?.tenant === scope ? cancelled : undefined;
  }

  const { listAll, listTenant, listTenantIn, countTenant } = createJobListing({
    queue,
    tombstones,
    index,
    classify: createStateClassifier(client, queue, prefixOf(queue)),
    find,
    indexed,
  });

  /** Queues a new job; a replayed idempotent request never gets here, so it is not held to the quota. */
  async function create(input: CreateTrainingJob, jobId: string, who: Who, tenant: string) {
    const { owner, caller } = who;
    const { dataset = DEFAULT_DATASET, name, timeoutSeconds, model: _model, promote: _promote, ...hyper } = input;
    const registered = jobModelOf(input, dataset);
    const params = withDefaults(hyper);
    // What needs no Redis and no dataset first: a refused job costs no lookups.
    const timeout = jobTimeout(timeoutSeconds, limits);
    if (owner) await quota?.check(owner);
    const info = await datasets.forTenant(tenant).get(dataset);
    if (info.state === 'failed') {
      throw new ConflictError(
        `dataset "${dataset}" failed to import: ${info.import?.error ?? 'unknown reason'}`,
        'DATASET_IMPORT_FAILED',
      );
    }
    // A job on a dataset still importing is queued: the worker holds it until the import ends.
    if (!info.available && info.state !== 'importing') {
      throw new ConflictError(
        `dataset "${dataset}" is not available: ${info.note ?? 'unknown reason'}`,
        'DATASET_UNAVAILABLE',
      );
    }
    // The network's size counts the output layer, which the dataset's classes make.
    checkShape(params, limits, info.classes);
    checkWork(params, info.trainSize, limits, info.classes);
    const data: TrainingJobData = {
      name: name ?? `${dataset} mlp-${params.hiddenLayers.join('-')}`,
      ...registered,
      ...(caller ? { caller } : {}),
      dataset,
      params,
      timeoutSeconds: timeout,
      tenant,
      ...(owner ? { owner } : {}),
    };
    // Indexed before it is queued: a job a worker may already run is always in its tenant's listing.
    await index.add(tenant, jobId, Date.now());
    const job = await queue.add(TRAIN_JOB, data, { jobId });
    if (owner) await quota?.record(owner, jobId);
    return toJobResource(job, 'queued');
  }

  return {
    async submit(input, { idempotencyKey, owner, caller, tenant = DEFAULT_TENANT } = {}) {
      const who = { owner, caller };
      if (!idempotencyKey) return { job: await create(input, randomUUID(), who, tenant), replayed: false };
      // Defaults filled in, so that leaving a field out and sending its default are one request.
      const request = { dataset: DEFAULT_DATASET, ...DEFAULT_PARAMS, ...input };
      const findOwn = (id: string) => find(id, tenant);
      return idempotency.once(idempotencyKey, request, (jobId) => create(input, jobId, who, tenant), findOwn, tenant);
    },

    async get(id, scope) {
      if (!RESOURCE_ID.test(id)) throw notFound(id);
      const job = await find(id, scope);
      if (!job) throw notFound(id);
      return job;
    },

    async list({ state, limit = 50, tenant }) {
      return tenant === undefined ? listAll(state, limit) : listTenant(tenant, state, limit);
    },

    async cancel(id, scope) {
      const current = await this.get(id, scope);
      if (current.state !== 'queued' && current.state !== 'running') {
        throw new ConflictError(`training job "${id}" is ${current.state} and cannot be cancelled`, 'JOB_FINISHED');
      }
      const job = await queue.getJob(id);
      if (current.state === 'queued' && job) {
        let removed = false;
        try {
          await job.remove(); // refused while a worker holds the job's lock: then it is running
          removed = true;
        } catch {
          // picked up meanwhile: cancelled below as a running job
        }
        if (removed) {
          const cancelled: TrainingJob = { ...current, state: 'cancelled', finishedAt: new Date().toISOString() };
          await tombstones.put(cancelled);
          // After the tombstone: a reader of the events stream finds the cancelled job in place.
          await publishCancelled(client, prefixOf(queue), id);
          await checkpoints?.forTenant(current.tenant ?? DEFAULT_TENANT).remove(id); // an earlier attempt may have left one
          return cancelled;
        }
      }
      await requestCancel(await redis(), prefixOf(queue), id);
      return this.get(id, scope);
    },

    async remove(id, scope) {
      const current = await this.get(id, scope);
      if (current.state === 'queued' || current.state === 'running') {
        throw new ConflictError(`training job "${id}" is ${current.state}; cancel it first`, 'JOB_ACTIVE');
      }
      if (!(await tombstones.remove(id))) await (await queue.getJob(id))?.remove();
      await index.drop(current.tenant ?? DEFAULT_TENANT, [id]);
      return current;
    },

    async counts(tenant) {
      if (tenant !== undefined) return countTenant(tenant);
      const bull = await queue.getJobCounts(...Object.values(BULL_STATES).flat());
      const sum = (types: JobType[]) => types.reduce((n, t) => n + (bull[t] ?? 0), 0);
      return {
        queued: sum(BULL_STATES.queued),
        running: sum(BULL_STATES.running),
        completed: sum(BULL_STATES.completed),
        // Cancelled running jobs are failed ones in BullMQ; they are counted as failed here,
        // cancelled counts the jobs cancelled while queued.
        failed: sum(BULL_STATES.failed),
        cancelled: await tombstones.count(),
      };
    },

    async usesDataset(datasetId, tenant = DEFAULT_TENANT) {
      // The tenant's own queued and running jobs, from its index in one pass: other tenants' cost nothing.
      await indexed();
      const open = await listTenantIn(tenant, ['queued', 'running'], MAX_STATE_SCAN);
      return open.some((j) => j.dataset === datasetId);
    },

    tenants: () => index.tenants(),
    registerTenant: (tenant) => index.register(tenant),
  };
}
