import type { RedisClient as Redis } from '../queue/redis.js';
import { LRUCache } from 'lru-cache';
import { serviceKeys } from '../queue/keys.js';

export interface AuthFailures {
  /** Counts one failed authentication from `ip`: the seconds it must wait when over the limit, else 0. */
  record(ip: string): Promise<number>;
}

const WINDOW_MS = 60_000;
/** Addresses remembered in this process (LRU): a flood from many addresses cannot grow memory. */
const MAX_TRACKED = 10_000;

/**
 * AUTH_FAILURES_PER_MINUTE: failed authentications per client IP in a fixed window of a minute,
 * counted in Redis (one MULTI per failure) so that every replica shares them. Only failures are
 * counted and checked: a valid key never waits on this, so a flood of bad keys from behind one NAT
 * cannot lock out the good keys sent from there. An address found over the limit is remembered
 * here until its window ends, so that a flood costs no Redis trip per request. While Redis does not
 * answer, each process counts on its own: the limit still holds per replica, and nothing waits on Redis.
 */
export function createAuthFailures({
  redis,
  prefix,
  perMinute,
  now = Date.now,
}: {
  redis: Redis;
  prefix: string;
  perMinute: number;
  now?: () => number;
}): AuthFailures {
  const blockedUntil = new LRUCache<string, number>({ max: MAX_TRACKED });
  const localWindows = new LRUCache<string, { count: number; endsAt: number }>({ max: MAX_TRACKED });
  const key = serviceKeys(prefix).authFailures;

  /** This failure's number in the address's window, and the milliseconds the window has left. */
  async function count(ip: string): Promise<{ count: number; leftMs: number }> {
    if (redis.status === 'ready') {
      try {
        const replies = await redis.multi().set(key(ip), 0, 'PX', WINDOW_MS, 'NX').incr(key(ip)).pttl(key(ip)).exec();
        const [, [incrErr, n] = [], [ttlErr, ttl] = []] = replies ?? [];
        if (!incrErr && !ttlErr && typeof n === 'number' && typeof ttl === 'number') {
          return { count: n, leftMs: ttl > 0 ? ttl : WINDOW_MS };
        }
      } catch {
        // Redis failed or timed out (API_COMMAND_TIMEOUT_MS): count here instead.
      }
    }
    const t = now();
    let window = localWindows.get(ip);
    if (!window || window.endsAt <= t) localWindows.set(ip, (window = { count: 0, endsAt: t + WINDOW_MS }));
    window.count++;
    return { count: window.count, leftMs: window.endsAt - t };
  }

  return {
    async record(ip) {
      if (perMinute <= 0) return 0;
      const until = blockedUntil.get(ip);
      if (until !== undefined && until > now()) return Math.ceil((until - now()) / 1000);
      const { count: n, leftMs } = await count(ip);
      if (n <= perMinute) return 0;
      blockedUntil.set(ip, now() + leftMs);
      return Math.max(1, Math.ceil(leftMs / 1000));
    },
  };
}
