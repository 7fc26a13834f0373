import { UnavailableError } from '../errors.js';

export interface BodyBudget {
  /** Reserves `bytes` for one request body of `caller`, or throws a 503; returns the release, idempotent. */
  take(caller: string, bytes: number): () => void;
  /** Bytes reserved now, in all and for one caller. */
  held(caller?: string): number;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Prediction bodies are read whole into memory before they are decoded: without a bound, a few
 * hundred connections each sending MAX_UPLOAD_BYTES would take gigabytes. Each request reserves
 * its declared length (the route's limit when it declares none) before a byte is read; one
 * caller may hold at most half of the total, so a single key cannot starve the others.
 */
export function createBodyBudget(total: number): BodyBudget {
  const byCaller = new Map<string, number>();
  let all = 0;
  const perCaller = Math.floor(total / 2);
  return {
    take(caller, bytes) {
      const mine = byCaller.get(caller) ?? 0;
      // A body larger than the whole budget is still read once nothing else is (its own limit bounds it).
      if (mine > 0 && mine + bytes > perCaller)
        throw new UnavailableError(
          `your requests already have ${mib(mine)} of bodies being read, at most ${mib(perCaller)} per tenant (half of MAX_PREDICT_BODY_BYTES); retry shortly`,
          'SERVER_BUSY',
        );
      if (all > 0 && all + bytes > total)
        throw new UnavailableError(
          `this server is reading ${mib(all)} of prediction bodies, at most ${mib(total)} (MAX_PREDICT_BODY_BYTES); retry shortly`,
          'SERVER_BUSY',
        );
      byCaller.set(caller, mine + bytes);
      all += bytes;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        all -= bytes;
        const left = (byCaller.get(caller) ?? bytes) - bytes;
        if (left > 0) byCaller.set(caller, left);
        else byCaller.delete(caller);
      };
    },
    held(caller) {
      return caller === undefined ? all : (byCaller.get(caller) ?? 0);
    },
  };
}
