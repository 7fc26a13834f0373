import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { UnauthorizedError } from '../../errors.js';
import { bearerToken } from './auth.js';

/** Which protocol a prediction route speaks; undefined for every other route. */
export function predictionProtocol(method: string, route: string | undefined): string | undefined {
  if (method !== 'POST' || !route) return undefined;
  if (route.startsWith('/v2/') && route.endsWith('/infer')) return 'v2';
  if (route.endsWith('::predict')) return 'tfserving';
  if (route === '/v1/predict' || route.endsWith('/predict')) return 'trainyard';
  return undefined;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Prometheus metrics at `GET /metrics`: with METRICS_KEY, that key or an admin key; with API
 * keys but no METRICS_KEY, an admin key (the counts tell one tenant of another's activity); open
 * only while the whole service is. Every response is timed by route template (not by URL, which
 * would make a series per id).
 */
export default fp(async function metrics(app: FastifyInstance) {
  const { metrics, config, keyring } = app.deps;
  const expected = config.METRICS_KEY ? digest(config.METRICS_KEY) : undefined;
  const isAdminKey = (token: string) => !!keyring?.verify(token)?.scopes.includes('admin');

  // Each series' child, looked up once: prom-client otherwise hashes the labels on every response.
  // Bounded: route templates × methods × status codes.
  const series = new Map<string, { duration: { observe(s: number): void }; counted?: { inc(): void } }>();
  app.addHook('onResponse', (request, reply, done) => {
    const { method } = request;
    const route = request.routeOptions.url;
    const key = `${method} ${route} ${reply.statusCode}`;
    let s = series.get(key);
    if (!s) {
      const protocol = predictionProtocol(method, route);
      const duration = metrics.httpDuration.labels({
        method,
        route: route ?? 'unmatched',
        status_code: reply.statusCode,
      });
      const counted = protocol
        ? metrics.inferenceRequests.labels({ protocol, status_code: reply.statusCode })
        : undefined;
      s = { duration, counted };
      series.set(key, s);
    }
    s.duration.observe(reply.elapsedTime / 1000);
    s.counted?.inc();
    done();
  });

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary:
          'Prometheus metrics (text format); with API keys, needs `Authorization: Bearer` with METRICS_KEY or an admin key',
        produces: ['text/plain'],
      },
    },
    async (request, reply) => {
      if (expected || keyring) {
        const token = bearerToken(request);
        const allowed =
          token !== undefined && ((expected && timingSafeEqual(digest(token), expected)) || isAdminKey(token));
        if (!allowed) {
          void reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw new UnauthorizedError(
            expected
              ? 'metrics need "Authorization: Bearer <METRICS_KEY>" or an admin key'
              : 'metrics need an admin key ("Authorization: Bearer <key>"), or set METRICS_KEY for the scraper',
            'UNAUTHORIZED',
          );
        }
      }
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    },
  );
});
