/**
 * The states of a training job the API shows, and the final ones among them. Apart from job.ts,
 * which builds TypeBox schemas, so that the dashboard imports these values without a schema library.
 */
export const JOB_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves: its events end with one of them. */
export const FINAL_JOB_STATES = ['completed', 'failed', 'cancelled'] as const satisfies readonly JobState[];
export type FinalJobState = (typeof FINAL_JOB_STATES)[number];

export const isFinal = (state: string): state is FinalJobState =>
  (FINAL_JOB_STATES as readonly string[]).includes(state);
