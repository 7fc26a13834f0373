import { UnavailableError } from '../errors.js';

/**
 * At most `limit` tasks at once, at most `maxWaiting` waiting; past that a task is refused with a
 * 503. sharp runs on libuv's thread pool, which file reads and writes share: left unbounded, a
 * burst of large images would hold every thread and stall storage and the readiness probe.
 */
export function createGate(limit: number, maxWaiting: number, what: string) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= limit) {
      if (waiting.length >= maxWaiting)
        throw new UnavailableError(
          `${waiting.length} ${what} are waiting to be decoded; retry shortly`,
          'DECODER_BUSY',
        );
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
