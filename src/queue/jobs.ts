import { randomUUID } from 'node:crypto';
import type { Job, JobType } from 'bullmq';
import { ConflictError, NotFoundError } from '../errors.js';
import type {
  CreateTrainingJob,
  JobState,
  Progress,
  TrainingJob,
  TrainingJobData,
  TrainingJobResult,
} from '../schemas/job.js';
import type { DatasetStore } from '../training/datasets/types.js';
import { withDefaults } from '../training/params.js';
import { TRAIN_JOB, type TrainingQueue } from './training-queue.js';

export const DEFAULT_DATASET = 'mnist-sample';
const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The BullMQ states behind each state the API shows. */
const BULL_STATES: Record<Exclude<JobState, 'cancelled'>, JobType[]> = {
  queued: ['waiting', 'prioritized', 'delayed', 'paused', 'waiting-children'],
  running: ['active'],
  completed: ['completed'],
  failed: ['failed'],
};

export function toJobState(bullState: string): JobState {
  for (const [state, types] of Object.entries(BULL_STATES)) {
    if ((types as string[]).includes(bullState)) return state as JobState;
  }
  return 'queued';
}

type TrainingBullJob = Job<TrainingJobData, TrainingJobResult>;

/** The job resource the API shows, from BullMQ's record of it. */
export function toJobResource(job: TrainingBullJob, state: JobState): TrainingJob {
  const { params } = job.data;
  const progress = isProgress(job.progress) ? job.progress : emptyProgress(params.epochs);
  const finished = state === 'completed' || state === 'failed' || state === 'cancelled';
  const result = state === 'completed' ? job.returnvalue : undefined;
  return {
    id: job.id!,
    name: job.data.name,
    state,
    dataset: job.data.dataset,
    params,
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
  submit(input: CreateTrainingJob): Promise<TrainingJob>;
  get(id: string): Promise<TrainingJob>;
  list(query: { state?: JobState; limit?: number }): Promise<TrainingJob[]>;
  /** Whether a queued or running job trains on this dataset. */
  usesDataset(datasetId: string): Promise<boolean>;
}

export function createJobService({
  queue,
  datasets,
}: {
  queue: TrainingQueue;
  datasets: Pick<DatasetStore, 'get'>;
}): JobService {
  const activeJobs = () => queue.getJobs([...BULL_STATES.queued, ...BULL_STATES.running]);

  return {
    async submit(input) {
      const { dataset = DEFAULT_DATASET, name, ...hyper } = input;
      const info = await datasets.get(dataset);
      if (!info.available) {
        throw new ConflictError(
          `dataset "${dataset}" is not available: ${info.note ?? 'unknown reason'}`,
          'DATASET_UNAVAILABLE',
        );
      }
      const params = withDefaults(hyper);
      const data: TrainingJobData = {
        name: name ?? `${dataset} mlp-${params.hiddenLayers.join('-')}`,
        dataset,
        params,
      };
      const job = await queue.add(TRAIN_JOB, data, { jobId: randomUUID() });
      return toJobResource(job, 'queued');
    },

    async get(id) {
      const job = JOB_ID.test(id) ? await queue.getJob(id) : undefined;
      if (!job) throw new NotFoundError(`training job "${id}" not found`, 'JOB_NOT_FOUND');
      return toJobResource(job, toJobState(await job.getState()));
    },

    async list({ state, limit = 50 }) {
      const states = state ? [state] : (Object.keys(BULL_STATES) as Exclude<JobState, 'cancelled'>[]);
      const groups = await Promise.all(
        states
          .filter((s): s is keyof typeof BULL_STATES => s in BULL_STATES)
          .map(async (s) => (await queue.getJobs(BULL_STATES[s], 0, limit - 1, false)).map((j) => toJobResource(j, s))),
      );
      return groups
        .flat()
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, limit);
    },

    async usesDataset(datasetId) {
      return (await activeJobs()).some((j) => j?.data?.dataset === datasetId);
    },
  };
}

function isProgress(value: unknown): value is Progress {
  return typeof value === 'object' && value !== null && Array.isArray((value as Progress).history);
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
