import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

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
 * policy again, on every request: about 6 % of the CPU of a prediction.
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

/**
 * Security headers from helmet on every response, and CORS, off unless CORS_ORIGINS names the
 * origins (or `*`) allowed to call from a browser.
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
