import { api, ApiError } from './api.js';
import { readEventStream, StreamUnavailableError } from './sse.js';
import { isFinal, type JobState, type Progress, type TrainingJob } from './types.js';

export type Transport = 'connecting' | 'streaming' | 'polling';

export interface JobWatchHandlers {
  onUpdate(job: TrainingJob, transport: Transport): void;
  onError(err: unknown): void;
}

const POLL_MS = 1000;
const MAX_STREAM_FAILURES = 3;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Follows one job until it ends: its event stream when the service has one (reconnecting with
 * Last-Event-ID after a drop), otherwise, or after repeated drops, GET once a second.
 * Returns a function that stops following.
 */
export function watchJob(id: string, handlers: JobWatchHandlers): () => void {
  const stop = new AbortController();
  const { signal } = stop;
  const path = `/v1/training-jobs/${encodeURIComponent(id)}`;
  let job: TrainingJob | undefined;

  const apply = (event: string, data: string) => {
    const value: unknown = JSON.parse(data);
    if (event === 'progress' && job) job = { ...job, progress: value as Progress };
    else if (event === 'state' && job) job = { ...job, state: (value as { state: JobState }).state };
    else if (isFinal(event as JobState)) job = value as TrainingJob;
    else return;
    handlers.onUpdate(job, 'streaming');
  };

  async function stream(): Promise<boolean> {
    let lastEventId = '';
    let failures = 0;
    let retryMs = 1000;
    while (!signal.aborted && failures < MAX_STREAM_FAILURES) {
      let events = 0;
      try {
        const parser = await readEventStream(`${path}/events`, {
          signal,
          lastEventId,
          onEvent(event) {
            lastEventId = event.id || lastEventId;
            events++;
            failures = 0;
            apply(event.event, event.data);
          },
        });
        retryMs = parser.retryMs ?? retryMs;
        if (job && isFinal(job.state)) return true;
        // A server restart ends a stream and the next one resumes; one that keeps ending empty is no stream.
        if (events === 0) failures++;
      } catch (err) {
        if (signal.aborted) return true;
        if (err instanceof StreamUnavailableError) return false;
        failures++;
      }
      await sleep(retryMs, signal);
    }
    return signal.aborted;
  }

  async function poll() {
    while (!signal.aborted) {
      try {
        job = await api<TrainingJob>(path, { signal, cache: 'no-store' });
        handlers.onUpdate(job, 'polling');
        if (isFinal(job.state)) return;
      } catch (err) {
        if (signal.aborted) return;
        handlers.onError(err);
      }
      await sleep(POLL_MS, signal);
    }
  }

  // Runs until stopped; every failure goes to handlers.onError.
  void (async () => {
    try {
      job = await api<TrainingJob>(path, { signal, cache: 'no-store' });
      handlers.onUpdate(job, 'connecting');
      if (isFinal(job.state)) return;
      if (!(await stream())) await poll();
    } catch (err) {
      if (signal.aborted) return;
      handlers.onError(err);
      // A job that does not exist stays that way; anything else may pass.
      if (!(err instanceof ApiError && err.status === 404)) await poll();
    }
  })();
  return () => stop.abort();
}
