/** The abort reason of a job that ran past its run-time limit. */
export const ABORT_TIMEOUT = 'timeout';

export interface RunTimeLimit {
  /** Aborted by the job's own signal (cancel, shutdown) with its reason, or at the limit with ABORT_TIMEOUT. */
  signal: AbortSignal;
  /** Run time so far, earlier attempts included, in ms. */
  spentMs(): number;
  /** Stops the clock and records the run time once more. */
  stop(): Promise<void>;
}

/** How often a running attempt records its run time: a crashed attempt loses at most this much. */
const RECORD_EVERY_MS = 10_000;

/**
 * A job's run-time limit, counted over its attempts: each attempt adds its own time to what
 * the earlier ones recorded (`spentMs`), so a retry or a resume continues the clock while time
 * spent waiting in the queue (backoff, a hand-back, a busy queue) does not count.
 */
export function startRunTimeLimit({
  limitSeconds,
  spentMs: before,
  parent,
  record,
  recordEveryMs = RECORD_EVERY_MS,
}: {
  limitSeconds: number;
  spentMs: number;
  parent?: AbortSignal;
  record: (spentMs: number) => Promise<void>;
  recordEveryMs?: number;
}): RunTimeLimit {
  const started = performance.now();
  const spentMs = () => Math.round(before + performance.now() - started);
  const controller = new AbortController();
  const abort = () => controller.abort(parent?.reason);
  if (parent?.aborted) abort();
  else parent?.addEventListener('abort', abort, { once: true });
  const deadline = setTimeout(() => controller.abort(ABORT_TIMEOUT), Math.max(0, limitSeconds * 1000 - before));
  deadline.unref();
  const recorder = setInterval(() => void record(spentMs()).catch(() => {}), recordEveryMs).unref();
  return {
    signal: controller.signal,
    spentMs,
    async stop() {
      clearTimeout(deadline);
      clearInterval(recorder);
      parent?.removeEventListener('abort', abort);
      await record(spentMs()).catch(() => {});
    },
  };
}
