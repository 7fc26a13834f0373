import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const ACCEPTED = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * Request ids: an incoming `X-Request-Id` (a load balancer's or the caller's) is kept when it
 * is a plain token of at most 128 characters, so one id follows a request across services;
 * anything else, or none, gets a fresh UUID. A raw header is never trusted into the logs.
 */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && ACCEPTED.test(incoming) ? incoming : randomUUID();
}
