import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
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
  return new LazyLogger(parent, bindings) as unknown as FastifyBaseLogger;
}

/** One object per request, its methods shared on the prototype: two of these are made per request. */
class LazyLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: Parent,
    private readonly bindings: Bindings,
  ) {}

  private made(): FastifyBaseLogger {
    return (this.real ??= this.parent.child(this.bindings));
  }

  private write(level: Level, args: unknown[]) {
    if (this.real || this.parent.isLevelEnabled!(level)) (this.made()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.real?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.made().level = level;
  }

  child(more: Bindings, moreOpts?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real
      ? this.real.child(more, moreOpts)
      : lazyChild(this.parent, { ...this.bindings, ...more }, moreOpts);
  }

  silent() {}
  trace(...args: unknown[]) {
    this.write('trace', args);
  }
  debug(...args: unknown[]) {
    this.write('debug', args);
  }
  info(...args: unknown[]) {
    this.write('info', args);
  }
  warn(...args: unknown[]) {
    this.write('warn', args);
  }
  error(...args: unknown[]) {
    this.write('error', args);
  }
  fatal(...args: unknown[]) {
    this.write('fatal', args);
  }
}

/** Fastify's `childLoggerFactory`: every request's logger is a lazy one. */
export const lazyChildLogger = (logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions) =>
  lazyChild(logger, bindings, opts);
