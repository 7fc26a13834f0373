import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';

export class MisdirectedRequestError extends DomainError {
  override readonly statusCode = 421;
}

/** Paths a load balancer or a container healthcheck probes by whatever name it uses. */
const PROBES = new Set(['/healthz', '/readyz']);

/** The host name of a Host header: `[::1]:3000` → `::1`, `Localhost.:80` → `localhost`. */
export function hostName(host: string): string {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * DNS rebinding guard for a service running open: a page of attacker.example whose name is made
 * to resolve to this machine is same-origin with the API in the browser's eyes, so the Origin
 * check passes and every answer can be read. Its requests carry `Host: attacker.example`, though.
 * So, while open, the Host must be an IP address, `localhost`, or a name in ALLOWED_HOSTS.
 */
export function hostGuard(allowedHosts: string[]): (request: FastifyRequest) => void {
  const allowed = new Set(allowedHosts.map(hostName));
  return (request) => {
    if (PROBES.has(request.url.split('?')[0]!)) return;
    const host = request.headers.host;
    if (host === undefined) return; // HTTP/1.0 without Host: not a browser
    const name = hostName(host);
    if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || allowed.has(name)) return;
    throw new MisdirectedRequestError(
      `requests for host ${JSON.stringify(host.slice(0, 200))} are not answered while API_KEYS is unset; ` +
        'list the name in ALLOWED_HOSTS to serve it, or set API_KEYS',
      'HOST_NOT_ALLOWED',
    );
  };
}
