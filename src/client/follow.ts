import type { components } from './api-types.js';
import { ApiError, ConnectionError, errorOf } from './errors.js';
import { readEvents } from './events.js';

type TrainingJob = components['schemas']['TrainingJob'];
type Progress = components['schemas']['TrainingJob']['progress'];

/** An event of a job's stream, its data parsed. */
export type JobEvent =
  | { id?: string; event: 'state'; data: { state: TrainingJob['state'] } }
  | { id?: string; event: 'progress'; data: Progress }
  | { id?: string; event: 'completed' | 'failed' | 'cancelled'; data: TrainingJob }
  /** The stream dropped; the follower reconnects after `delayMs` from the last event it had. */
  | { event: 'reconnecting'; attempt: number; delayMs: number; reason: string };

export interface FollowOptions {
  signal?: AbortSignal;
  /** Consecutive failed connections before giving up (each success resets the count); default 10. */
  maxRetries?: number;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const DEFAULT_RETRY_MS = 2000;
const MAX_RETRY_MS = 30_000;

/** Statuses worth another try: the service busy (429, 503) or a proxy between (502, 504). */
const TRANSIENT = new Set([429, 502, 503, 504]);

interface Deps {
  baseUrl: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  getJob(id: string): Promise<TrainingJob>;
}

/**
 * The job's events until its final one, as an EventSource would deliver them: after a drop it
 * waits the server's `retry` (doubling while connections keep failing) and reconnects with
 * Last-Event-ID, so no event is lost or repeated. A 204 means the stream had already sent
 * everything: the job is then read once and returned.
 */
export async function followJob(
  deps: Deps,
  id: string,
  onEvent: (event: JobEvent) => void,
  { signal, maxRetries = 10 }: FollowOptions = {},
): Promise<TrainingJob> {
  const url = `${deps.baseUrl}/v1/training-jobs/${encodeURIComponent(id)}/events`;
  let lastId: string | undefined;
  let retryMs = DEFAULT_RETRY_MS;
  let failures = 0;
  for (;;) {
    let reason: string;
    try {
      const response = await deps.fetch(url, {
        headers: { ...deps.headers, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal,
      });
      if (response.status === 204) return await deps.getJob(id);
      if (!response.ok || !response.body) {
        const err = await errorOf(response);
        if (!TRANSIENT.has(response.status)) throw err;
        const after = Number(response.headers.get('retry-after'));
        if (after > 0) retryMs = Math.min(after * 1000, MAX_RETRY_MS);
        reason = `${err.status} ${err.code}`;
      } else {
        for await (const raw of readEvents(response.body)) {
          if (raw.retry !== undefined) retryMs = raw.retry;
          if (raw.id !== undefined) lastId = raw.id;
          if (raw.data === '') continue;
          failures = 0;
          const event = { id: raw.id, event: raw.event, data: JSON.parse(raw.data) as unknown } as JobEvent;
          onEvent(event);
          if (FINAL.has(raw.event)) return (event as { data: TrainingJob }).data;
        }
        reason = 'the stream ended before the job did';
      }
    } catch (err) {
      if (err instanceof ApiError || signal?.aborted) throw err;
      reason = err instanceof Error ? err.message : String(err);
    }
    failures++;
    if (failures > maxRetries)
      throw new ConnectionError(deps.baseUrl, new Error(`${reason} (gave up after ${maxRetries} retries)`));
    const delayMs = Math.min(retryMs * 2 ** (failures - 1), MAX_RETRY_MS);
    onEvent({ event: 'reconnecting', attempt: failures, delayMs, reason });
    await sleep(delayMs, signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
