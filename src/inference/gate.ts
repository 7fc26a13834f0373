import { UnavailableError } from '../errors.js';

/**
 * At most `limit` tasks at once and at most `budget` of their weight (an image's pixels), at most
 * `maxWaiting` waiting; past that a task is refused with a 503. sharp runs on libuv's thread
 * pool, which file reads and writes share, and an interlaced PNG or a progressive JPEG is
 * decoded whole before it is scaled: left unbounded, a burst of large images would hold every
 * thread, stall storage and the readiness probe, and take gigabytes.
 */
export function createGate(limit: number, budget: number, maxWaiting: number, what: string) {
  let running = 0;
  let weighed = 0;
  const waiting: { weight: number; start: () => void }[] = [];
  const fits = (weight: number) => running < limit && (running === 0 || weighed + weight <= budget);
  const admit = () => {
    while (waiting.length > 0 && fits(waiting[0]!.weight)) {
      const next = waiting.shift()!;
      running++;
      weighed += next.weight;
      next.start();
    }
  };
  return async function run<T>(weight: number, task: () => Promise<T>): Promise<T> {
    const w = Math.min(weight, budget);
    if (waiting.length === 0 && fits(w)) {
      running++;
      weighed += w;
    } else {
      if (waiting.length >= maxWaiting)
        throw new UnavailableError(
          `${waiting.length} ${what} are waiting to be decoded; retry shortly`,
          'DECODER_BUSY',
        );
      await new Promise<void>((start) => waiting.push({ weight: w, start }));
    }
    try {
      return await task();
    } finally {
      running--;
      weighed -= w;
      admit();
    }
  };
}
