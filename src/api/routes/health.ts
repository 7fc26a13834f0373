import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const Ready = Type.Object({
  status: Type.String({ examples: ['ready'] }),
  redis: Type.String({ examples: ['ok'] }),
  backend: Type.String({ examples: ['wasm'] }),
});

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: 200 while the process runs',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: 200 when Redis answers, 503 when it does not',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      const { redis, backend } = app.deps;
      const ok = await Promise.race([
        redis.ping().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(resolve, 1000, false).unref()),
      ]);
      if (ok) return { status: 'ready', redis: 'ok', backend };
      return reply.status(503).send({ status: 'unavailable', redis: 'unreachable', backend });
    },
  );
};

export default health;
