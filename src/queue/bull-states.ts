import type { JobType } from 'bullmq';
import type { JobState } from '../schemas/job-states.js';

/** API states with BullMQ states of their own; a cancelled job is a failed one (or a tombstone). */
export type BullBackedState = Exclude<JobState, 'cancelled'>;

/** The BullMQ states behind each state the API shows. */
export const BULL_STATES: Record<BullBackedState, JobType[]> = {
  queued: ['waiting', 'prioritized', 'delayed', 'paused', 'waiting-children'],
  running: ['active'],
  completed: ['completed'],
  failed: ['failed'],
};

export const BULL_KEYS = Object.keys(BULL_STATES) as BullBackedState[];

/** The API state of a BullMQ state; one BullMQ does not name (a job gone meanwhile) reads as queued. */
export function toJobState(bullState: string): JobState {
  for (const [state, types] of Object.entries(BULL_STATES)) {
    if ((types as string[]).includes(bullState)) return state as JobState;
  }
  return 'queued';
}

/** Whether a job in this BullMQ state still waits for a worker; "unknown" (removed) does not. */
export const isQueuedBullState = (bullState: string) => (BULL_STATES.queued as string[]).includes(bullState);
