import { randomUUID } from 'node:crypto';
import type { Job, JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import { ConflictError, NotFoundError } from '../errors.js';
import {
  CANCELLED_REASON,
  type CreateTrainingJob,
  isProgress,
  type JobState,
  type Progress,
  type TrainingJob,
  type TrainingJobData,
  type TrainingJobResult,
} from '../schemas/job.js';
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
import { BULL_KEYS, BULL_STATES, toJobState } from './bull-states.js';

export const DEFAULT_DATASET = 'mnist-sample';

export { toJobState };

type TrainingBullJob = Job<TrainingJobData, TrainingJobResult>;

/** The job resource the API shows, from BullMQ's record of it. */
export function toJobResource(job: TrainingBullJob, bullState: JobState): TrainingJob {
  let state = bullState;
  const { params } = job.data;
  const progress = isProgress(job.progress) ? job.progress : emptyProgress(params.epochs);
  if (state === 'failed' && job.failedReason === CANCELLED_REASON) state = 'cancelled';
  const finished = state === 'completed' || state === 'failed' || state === 'cancelled';
  const result = state === 'completed' ? job.returnvalue : undefined;
  return {
    id: job.id!,
    name: job.data.name,
    state,
    dataset: job.data.dataset,
    params,
    timeoutSeconds: job.data.timeoutSeconds ?? null,
    createdAt: iso(job.timestamp)!,
    startedAt: iso(job.processedOn),
    finishedAt: finished ? iso(job.finishedOn) : null,
    progress,
    modelId: result?.modelId ?? null,
    metrics: result?.metrics ?? null,
    error: state === 'failed' ? { message: job.failedReason || 'training failed' } : null,
  };
}

export function emptyProgress(epochs: number): Progress {
  return { epoch: 0, epochs, loss: null, accuracy: null, samplesPerSecond: null, history: [] };
}

export interface JobService {
  /** With an idempotency key, a repeat within 24 h answers the first job (`replayed`) instead. */
  /**
   * `owner` (the caller's id) is held to MAX_QUEUED_JOBS_PER_KEY, and recorded in the job for
   * MAX_RUNNING_JOBS_PER_KEY. A job past `limits` is a 400 and is not queued.
   */
  submit(
    input: CreateTrainingJob,
    options?: { idempotencyKey?: string; owner?: string },
  ): Promise<Outcome<TrainingJob>>;
  get(id: string): Promise<TrainingJob>;
  list(query: { state?: JobState; limit?: number }): Promise<TrainingJob[]>;
  /** Whether a queued or running job trains on this dataset. */
  usesDataset(datasetId: string): Promise<boolean>;
  /** A queued job is removed and cancelled at once; a running one stops after its current batch. */
  cancel(id: string): Promise<TrainingJob>;
  /** Forgets a finished job. */
  remove(id: string): Promise<void>;
  /** How many jobs are in each state (for metrics). */
  counts(): Promise<Record<JobState, number>>;
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
  checkpoints?: Pick<CheckpointStore, 'remove'>;
  queue: TrainingQueue;
  datasets: Pick<DatasetStore, 'get'>;
  retentionDays?: number;
}): JobService {
  const activeJobs = () => queue.getJobs([...BULL_STATES.queued, ...BULL_STATES.running]);
  // Our own keys go through a plain ioredis client: BullMQ's `queue.client` is an adapter
  // whose commands take other argument shapes (hset of an object, for one).
  const redis = async () => client;
  const tombstones = createTombstones(redis, prefixOf(queue), retentionDays);
  const idempotency = createIdempotency(redis, prefixOf(queue));
  const notFound = (id: string) => new NotFoundError(`training job "${id}" not found`, 'JOB_NOT_FOUND');

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

  /** Queues a new job; a replayed idempotent request never gets here, so it is not held to the quota. */
  async function create(input: CreateTrainingJob, jobId: string, owner: string | undefined): Promise<TrainingJob> {
    const { dataset = DEFAULT_DATASET, name, timeoutSeconds, ...hyper } = input;
    const params = withDefaults(hyper);
    // What needs no Redis and no dataset first: a refused job costs no lookups.
    checkShape(params, limits);
    const timeout = jobTimeout(timeoutSeconds, limits);
    if (owner) await quota?.check(owner);
    const info = await datasets.get(dataset);
    if (!info.available) {
      throw new ConflictError(
        `dataset "${dataset}" is not available: ${info.note ?? 'unknown reason'}`,
        'DATASET_UNAVAILABLE',
      );
    }
    checkWork(params, info.trainSize, limits);
    const data: TrainingJobData = {
      name: name ?? `${dataset} mlp-${params.hiddenLayers.join('-')}`,
      dataset,
      params,
      timeoutSeconds: timeout,
      ...(owner ? { owner } : {}),
    };
    const job = await queue.add(TRAIN_JOB, data, { jobId });
    if (owner) await quota?.record(owner, jobId);
    return toJobResource(job, 'queued');
  }

  return {
    async submit(input, { idempotencyKey, owner } = {}) {
      if (!idempotencyKey) return { job: await create(input, randomUUID(), owner), replayed: false };
      // Defaults filled in, so that leaving a field out and sending its default are one request.
      const request = { dataset: DEFAULT_DATASET, ...DEFAULT_PARAMS, ...input };
      const find = (id: string) =>
        this.get(id).catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
      return idempotency.once(idempotencyKey, request, (jobId) => create(input, jobId, owner), find);
    },

    async get(id) {
      if (!RESOURCE_ID.test(id)) throw notFound(id);
      const job = await queue.getJob(id);
      if (job) return toJobResource(job, toJobState(await job.getState()));
      const cancelled = await tombstones.get(id);
      if (cancelled) return cancelled;
      throw notFound(id);
    },

    async list({ state, limit = 50 }) {
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
    },

    async cancel(id) {
      const current = await this.get(id);
      if (current.state !== 'queued' && current.state !== 'running') {
        throw new ConflictError(`training job "${id}" is ${current.state} and cannot be cancelled`, 'JOB_FINISHED');
      }
      const job = await queue.getJob(id);
      if (current.state === 'queued' && job) {
        try {
          await job.remove(); // refused while a worker holds the job's lock: then it is running
          const cancelled: TrainingJob = {
            ...current,
            state: 'cancelled',
            finishedAt: new Date().toISOString(),
          };
          await tombstones.put(cancelled);
          // After the tombstone: a reader of the events stream finds the cancelled job in place.
          await publishCancelled(client, prefixOf(queue), id);
          await checkpoints?.remove(id); // an earlier attempt may have left one
          return cancelled;
        } catch {
          // picked up meanwhile: cancel it as a running job
        }
      }
      await requestCancel(await redis(), prefixOf(queue), id);
      return this.get(id);
    },

    async remove(id) {
      const current = await this.get(id);
      if (current.state === 'queued' || current.state === 'running') {
        throw new ConflictError(`training job "${id}" is ${current.state}; cancel it first`, 'JOB_ACTIVE');
      }
      if (!(await tombstones.remove(id))) await (await queue.getJob(id))?.remove();
    },

    async counts() {
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

    async usesDataset(datasetId) {
      return (await activeJobs()).some((j) => j?.data?.dataset === datasetId);
    },
  };
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
