import type { Job } from 'bullmq';
import {
  CANCELLED_REASON,
  isFinal,
  isProgress,
  type JobState,
  type Progress,
  type TrainingJob,
  type TrainingJobData,
  type TrainingJobResult,
  modelNameOf,
} from '../schemas/job.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';

/** How BullMQ's record of a training job becomes the resource the API shows. */

type TrainingBullJob = Job<TrainingJobData, TrainingJobResult>;

/** The job resource the API shows, from BullMQ's record of it. */
export function toJobResource(job: TrainingBullJob, bullState: JobState): TrainingJob {
  let state = bullState;
  const { params } = job.data;
  if (state === 'failed' && job.failedReason === CANCELLED_REASON) state = 'cancelled';
  const finished = isFinal(state);
  const result = state === 'completed' ? job.returnvalue : undefined;
  // A completed job's own final progress first (see TrainingJobResult.progress).
  const progress = isProgress(result?.progress)
    ? result.progress
    : isProgress(job.progress)
      ? job.progress
      : emptyProgress(params.epochs);
  return {
    id: job.id!,
    name: job.data.name,
    tenant: job.data.tenant ?? DEFAULT_TENANT,
    state,
    dataset: job.data.dataset,
    params,
    timeoutSeconds: job.data.timeoutSeconds ?? null,
    createdAt: iso(job.timestamp)!,
    startedAt: iso(job.processedOn),
    finishedAt: finished ? iso(job.finishedOn) : null,
    progress,
    model: modelNameOf(job.data),
    promote: job.data.promote ?? null,
    modelId: result?.modelId ?? null,
    modelVersion: result?.version ?? null,
    promotion: result?.promotion ?? null,
    metrics: result?.metrics ?? null,
    error: state === 'failed' ? { message: job.failedReason || 'training failed' } : null,
  };
}

export function emptyProgress(epochs: number): Progress {
  return { epoch: 0, epochs, loss: null, accuracy: null, samplesPerSecond: null, history: [] };
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
