import pino, { type LoggerOptions } from 'pino';

/** JSON logs; human-readable only when a person is watching a terminal. */
export function loggerOptions(level: string): LoggerOptions {
  const pretty = process.stdout.isTTY && process.env.NODE_ENV !== 'production';
  return {
    level,
    redact: ['req.headers.authorization'],
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  };
}

export function createLogger(level: string, bindings: Record<string, unknown> = {}) {
  return pino(loggerOptions(level)).child(bindings);
}
