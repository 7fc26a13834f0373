import type { TrainingJob } from './types.js';

export const percent = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? '–' : `${(x * 100).toFixed(digits)}%`;

export const fixed = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined ? '–' : x.toFixed(digits);

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const dateTime = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** Time left from the mean of the finished epochs; undefined before the first one ends. */
export function eta(job: TrainingJob): string | undefined {
  const { history, epochs, epoch } = job.progress;
  if (job.state !== 'running' || history.length === 0) return undefined;
  const mean = history.reduce((sum, e) => sum + e.seconds, 0) / history.length;
  return `about ${duration(mean * Math.max(0, epochs - epoch))} left`;
}

/** One line saying where a job is, for lists and the job view. */
export function progressText(job: TrainingJob): string {
  const { epoch, epochs } = job.progress;
  switch (job.state) {
    case 'queued':
      return 'Waiting for a worker';
    case 'running':
      return `Epoch ${epoch} of ${epochs}`;
    case 'completed':
      return `Done: ${epochs} epoch${epochs === 1 ? '' : 's'}, test accuracy ${percent(job.metrics?.testAccuracy)}`;
    case 'failed':
      return `Failed after ${epoch} of ${epochs} epochs`;
    case 'cancelled':
      return `Cancelled after ${epoch} of ${epochs} epochs`;
  }
}
