import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];
type Parent = FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };

/**
 * A request's logger, made when it first writes a line. pino's `child()` serialises its bindings
 * and copies the level at once, twice per request here (the request id, then the caller); a
 * prediction answered without a line (a level above `info`) need not pay for either. Children of
 * a lazy logger merge their bindings and stay lazy; a line at an enabled level, or options of
 * their own, make the real pino child, which then writes exactly what it would have.
 */
export function lazyChild(parent: Parent, bindings: Bindings, opts: ChildLoggerOptions = {}): FastifyBaseLogger {
  if (typeof parent.isLevelEnabled !== 'function' || Object.keys(opts).length > 0) return parent.child(bindings, opts);
  let real: FastifyBaseLogger | undefined;
  const made = () => (real ??= parent.child(bindings));
  const logger = {
    get level() {
      return real?.level ?? parent.level;
    },
    set level(level: string) {
      made().level = level;
    },
    child: (more: Bindings, moreOpts?: ChildLoggerOptions) =>
      real ? real.child(more, moreOpts) : lazyChild(parent, { ...bindings, ...more }, moreOpts),
    silent: () => {},
  } as unknown as Record<Level, (...args: unknown[]) => void> & FastifyBaseLogger;
  for (const level of LEVELS) {
    logger[level] = (...args: unknown[]) => {
      if (real || parent.isLevelEnabled!(level)) (made()[level] as (...a: unknown[]) => void)(...args);
    };
  }
  return logger;
}

/** Fastify's `childLoggerFactory`: every request's logger is a lazy one. */
export const lazyChildLogger = (logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions) =>
  lazyChild(logger, bindings, opts);
