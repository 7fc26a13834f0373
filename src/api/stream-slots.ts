import { TooManyRequestsError } from '../errors.js';

/** How long a refused client is asked to wait: streams end when their jobs do, or their clients leave. */
export const STREAM_RETRY_AFTER_S = 10;

export interface StreamSlots {
  /**
   * Takes a slot for one more open stream of `caller`, or throws a 429 naming the limit reached.
   * Returns the release function; calling it again does nothing.
   */
  take(caller: string): () => void;
  /** Streams open now, in all and for one caller. */
  open(caller?: string): number;
}

/**
 * MAX_EVENT_STREAMS_PER_KEY and MAX_EVENT_STREAMS, counted in this process. The resources a
 * stream holds (a socket, a feed, a subscription) are this process's, and an in-process count is
 * released exactly when a stream ends, even when the process dies; a shared count in Redis would
 * leak the slots of a replica that crashed. A key may so hold `perCaller` streams on each replica.
 */
export function createStreamSlots({ perCaller, total }: { perCaller: number; total: number }): StreamSlots {
  const byCaller = new Map<string, number>();
  let all = 0;
  return {
    take(caller) {
      const mine = byCaller.get(caller) ?? 0;
      if (perCaller > 0 && mine >= perCaller) {
        throw new TooManyRequestsError(
          `you already have ${mine} event streams open, the limit per tenant (MAX_EVENT_STREAMS_PER_KEY is ${perCaller}); close one, or poll GET /v1/training-jobs/{id}`,
          'TOO_MANY_STREAMS',
        );
      }
      if (total > 0 && all >= total) {
        throw new TooManyRequestsError(
          `this server has ${all} event streams open, its limit (MAX_EVENT_STREAMS is ${total}); retry in ${STREAM_RETRY_AFTER_S} seconds, or poll GET /v1/training-jobs/{id}`,
          'TOO_MANY_STREAMS',
        );
      }
      byCaller.set(caller, mine + 1);
      all++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        all--;
        const left = (byCaller.get(caller) ?? 1) - 1;
        if (left > 0) byCaller.set(caller, left);
        else byCaller.delete(caller);
      };
    },
    open(caller) {
      return caller === undefined ? all : (byCaller.get(caller) ?? 0);
    },
  };
}
