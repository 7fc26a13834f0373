import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { UnauthorizedError } from '../../errors.js';
import { bearerToken } from './auth.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Prometheus metrics at `GET /metrics`, open unless METRICS_KEY is set. Every response is
 * timed by route template (not by URL, which would make a series per id).
 */
export default fp(async function metrics(app: FastifyInstance) {
  const { metrics, config } = app.deps;
  const expected = config.METRICS_KEY ? digest(config.METRICS_KEY) : undefined;

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text format); needs `Authorization: Bearer <METRICS_KEY>` when that is set',
        produces: ['text/plain'],
      },
    },
    async (request, reply) => {
      if (expected) {
        const token = bearerToken(request);
        if (token === undefined || !timingSafeEqual(digest(token), expected)) {
          void reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw new UnauthorizedError('metrics need "Authorization: Bearer <METRICS_KEY>"', 'UNAUTHORIZED');
        }
      }
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    },
  );
});
