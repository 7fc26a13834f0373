import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hostGuard } from '../host-guard.js';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ForbiddenError } from '../../errors.js';

/** Headers a browser client may read from a cross-origin response. */
const EXPOSED = [
  'location',
  'retry-after',
  'x-request-id',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/**
 * A Content-Security-Policy the dashboard fits: its scripts and styles are files of this
 * origin; images include data: and blob: URLs (the canvas and uploads). Styles may be inline
 * because the chart library sets them on its elements.
 */
export const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      // Deployments on plain HTTP (a LAN address) would have every asset request upgraded.
      upgradeInsecureRequests: null,
    },
  },
  // Model files and images are fetched by tools and pages of other origins (tf.loadLayersModel).
  crossOriginResourcePolicy: { policy: 'cross-origin' },
};

/**
 * The headers helmet sets with these options, worked out once. They are the same on every
 * response (no nonces), and @fastify/helmet would rebuild helmet's middleware, parsing the
 * policy again, on every request: a measurable share of a prediction's CPU (docs/performance.md).
 */
export function helmetHeaders(options: HelmetOptions): [string, string][] {
  const headers: [string, string][] = [];
  const res = {
    setHeader: (name: string, value: string) => headers.push([name.toLowerCase(), String(value)]),
    removeHeader: () => {},
  } as unknown as ServerResponse;
  let failed: unknown;
  helmet(options)({} as IncomingMessage, res, (err?: unknown) => (failed = err));
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
  return headers;
}

/** Methods that change nothing: a page of any origin may send them (it cannot read the answer without CORS). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `scheme://host[:port]` as browsers write it in Origin, or undefined for `null` and anything unparsable. */
function serialisedOrigin(text: string): string | undefined {
  try {
    const origin = new URL(text).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

const first = (header: string | string[] | undefined) =>
  (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim() || undefined;

/**
 * The origin a browser shows for this API: the Host it was asked for, with the scheme the client
 * used. X-Forwarded-* are taken from proxies without configuration: a cross-site page cannot set
 * them (custom headers need a preflight, which names only the headers CORS allows).
 */
function ownOrigin(request: FastifyRequest): string | undefined {
  const host = first(request.headers['x-forwarded-host']) ?? request.headers.host;
  const scheme = first(request.headers['x-forwarded-proto']) ?? request.protocol;
  return host ? serialisedOrigin(`${scheme}://${host}`) : undefined;
}

/**
 * Cross-site request forgery guard for a service running open. Without API keys, reaching the
 * port is the only credential, and a browser lends it to every page it shows: a page on any site
 * could POST jobs or uploads to a service on localhost or the LAN. So a request that may change
 * something is refused when its Origin is neither this API's nor listed in CORS_ORIGINS (`null`,
 * from sandboxed frames and local files, never passes), or, without Origin, when the browser
 * says it is cross-site. Clients that send no Origin (curl, servers) pass. With API keys the
 * guard is off: a browser never attaches a bearer key by itself, so a forged request has none.
 */
export function crossSiteGuard(corsOrigins: string[]): (request: FastifyRequest) => void {
  const anyOrigin = corsOrigins.includes('*');
  const listed = new Set(corsOrigins.map(serialisedOrigin).filter((o): o is string => o !== undefined));
  return (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin !== undefined) {
      const parsed = serialisedOrigin(origin);
      if (parsed !== undefined && (anyOrigin || listed.has(parsed) || parsed === ownOrigin(request))) return;
      throw refused(request, `a page of origin ${JSON.stringify(origin.slice(0, 200))}`);
    }
    if (request.headers['sec-fetch-site'] === 'cross-site') {
      throw refused(request, 'a cross-site browser request (Sec-Fetch-Site: cross-site)');
    }
  };
}

function refused(request: FastifyRequest, who: string): ForbiddenError {
  const own = ownOrigin(request);
  return new ForbiddenError(
    `${who} may not ${request.method} here: while API_KEYS is unset only ${own ? `this API's own origin (${own})` : "this API's own origin"} ` +
      'may change anything from a browser; list the origin in CORS_ORIGINS to allow it, or set API_KEYS',
    'CROSS_ORIGIN_FORBIDDEN',
  );
}

/**
 * Security headers from helmet on every response; CORS, off unless CORS_ORIGINS names the
 * origins (or `*`) allowed to call from a browser; and, while the API runs open, the
 * cross-site guard.
 */
export default fp(async function security(app: FastifyInstance) {
  const headers = helmetHeaders(HELMET_OPTIONS);
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
  const origins = app.deps.config.CORS_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  if (!app.deps.keyring) {
    const guard = crossSiteGuard(origins);
    const hosts = hostGuard(
      app.deps.config.ALLOWED_HOSTS.split(',')
        .map((h) => h.trim())
        .filter((h) => h !== ''),
    );
    app.addHook('onRequest', async (request) => {
      hosts(request);
      guard(request);
    });
  }
  if (origins.length > 0) {
    await app.register(cors, {
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'x-request-id'],
      exposedHeaders: EXPOSED,
      maxAge: 600,
    });
  }
});
