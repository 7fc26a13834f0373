import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

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
 * Security headers (helmet) with a Content-Security-Policy the dashboard fits: its scripts
 * and styles are files of this origin; images include data: and blob: URLs (the canvas and
 * uploads). Styles may be inline because the chart library sets them on its elements.
 * CORS is off unless CORS_ORIGINS names the origins (or `*`) allowed to call from a browser.
 */
export default fp(async function security(app: FastifyInstance) {
  await app.register(helmet, {
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
        upgradeInsecureRequests: null,
      },
    },
    // Model files and images are fetched by tools and pages of other origins (tf.loadLayersModel).
    crossOriginResourcePolicy: { policy: 'cross-origin' },
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
