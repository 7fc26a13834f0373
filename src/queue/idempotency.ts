import { createHash, randomUUID } from 'node:crypto';
import type { RedisClient as Redis } from './redis.js';
import { ConflictError, DomainError, NotFoundError } from '../errors.js';
import { serviceKeys } from './keys.js';
import { DEFAULT_TENANT } from '../schemas/tenant.js';

/** How long a key remembers its job, from the first request that used it. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/**
 * A claim whose job has not appeared after this long belongs to a request that died between
 * claiming the key and adding the job (a crash, Redis gone mid-way): a later request takes the
 * key over instead of waiting for the day to pass. Creating a job takes milliseconds.
 */
const ABANDONED_MS = 10_000;
const POLL_MS = 25;

/** What a key holds: the body's fingerprint, the job id chosen up front, and once added, `done`. */
interface Claim {
  hash: string;
  id: string;
  done?: true;
}

export interface Outcome<T> {
  job: T;
  /** True when an earlier request with the same key created the job. */
  replayed: boolean;
}

// Replaces the value (or deletes the key, for an empty replacement) only if it still holds the
// one this request wrote, so a request never undoes another's claim; the TTL runs on unchanged.
const SWAP = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('del', KEYS[1]) end
redis.call('set', KEYS[1], ARGV[2], 'KEEPTTL')
return 1`;

/** SHA-256 of the value as JSON with object keys sorted, so key order does not matter. */
export function fingerprint(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, x]) => [k, canonical(x)]));
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}

/**
 * Idempotency keys for job creation, in Redis under the queue prefix. The key is claimed with
 * SET NX before the job exists, with the job's id chosen first, so concurrent requests with one
 * key create exactly one job: the others wait for it to appear and answer it.
 */
export function createIdempotency(client: () => Promise<Redis>, prefix: string) {
  const keys = serviceKeys(prefix);
  // The default tenant keeps the key names of before tenants, so records made then still count.
  const redisKey = (key: string, tenant: string) =>
    tenant === DEFAULT_TENANT ? keys.idempotency(key) : keys.tenantIdempotency(tenant, key);
  const swap = async (redis: Redis, key: string, expected: string, next: string) =>
    (await redis.eval(SWAP, 1, key, expected, next)) === 1;

  return {
    /**
     * `create(id)` makes the job under the given id; `find(id)` answers it as it is now, or
     * undefined once it is gone. `request` is the normalised body the key is bound to.
     */
    async once<T>(
      key: string,
      request: unknown,
      create: (id: string) => Promise<T>,
      find: (id: string) => Promise<T | undefined>,
      tenant: string = DEFAULT_TENANT,
    ): Promise<Outcome<T>> {
      const redis = await client();
      const k = redisKey(key, tenant);
      const hash = fingerprint(request);
      for (;;) {
        const mine: Claim = { hash, id: randomUUID() };
        const claim = JSON.stringify(mine);
        if ((await redis.set(k, claim, 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX')) === 'OK') {
          let job: T;
          try {
            job = await create(mine.id);
          } catch (err) {
            // Refused (unknown dataset, ...): no job, so the key is freed and a retry is judged
            // afresh. Any other failure, a Redis timeout above all, may come after the job was
            // written: the claim stays, a retry answers that job if it exists, and takes the
            // key over once the claim counts as abandoned if it does not.
            if (err instanceof DomainError) await swap(redis, k, claim, '').catch(() => false);
            throw err;
          }
          // Best effort: without the mark a replay still finds the job; it only tells a deleted
          // job apart from one still being added.
          await swap(redis, k, claim, JSON.stringify({ ...mine, done: true })).catch(() => false);
          return { job, replayed: false };
        }

        const stored = await redis.get(k);
        if (stored === null) continue; // freed or expired since our SET: claim it again
        const theirs = JSON.parse(stored) as Claim;
        if (theirs.hash !== hash) {
          throw new ConflictError(
            'this Idempotency-Key was used with a different request body in the last 24 hours; ' +
              'use a new key for a different job',
            'IDEMPOTENCY_KEY_REUSED',
          );
        }
        const job = await find(theirs.id);
        if (job !== undefined) return { job, replayed: true };
        if (theirs.done) {
          throw new NotFoundError(
            `training job "${theirs.id}", created with this Idempotency-Key, has been deleted`,
            'JOB_NOT_FOUND',
          );
        }
        // Still being added by the request that claimed the key, unless that one died: its age
        // comes from the key's TTL, so it is measured by Redis's clock, not this host's.
        const ageMs = IDEMPOTENCY_TTL_SECONDS * 1000 - (await redis.pttl(k));
        if (ageMs > ABANDONED_MS) await swap(redis, k, stored, '');
        else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
  };
}
