import { eventsKey } from '../../queue/job-events.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const Check = Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]);
const readiness = (status: 'ready' | 'unavailable') =>
  Type.Object({
    status: Type.Literal(status),
    redis: Check,
    storage: Check,
    backend: Type.String({ description: 'The training backend (TRAINING_BACKEND as resolved)', examples: ['native'] }),
  });

/** Longest a readiness check may take: orchestrators' probes time out after about a second. */
const CHECK_TIMEOUT_MS = 1000;

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
        summary: 'Readiness: 200 when Redis and the model storage answer, 503 when either does not',
        response: { 200: readiness('ready'), 503: readiness('unavailable') },
      },
    },
    async (request, reply) => {
      const { redis, storage, backend } = app.deps;
      const [redisOk, storageOk] = await Promise.all([
        // A keyed command, not PING: on a cluster PING goes to any node, while the service's keys
        // all live in one slot, whose primary may be the one that is down.
        passes(redis.exists(eventsKey(app.deps.config.QUEUE_PREFIX)), (err) =>
          request.log.warn({ err: err.message }, 'readiness: redis failed'),
        ),
        passes(storage.check(CHECK_TIMEOUT_MS), (err) =>
          request.log.warn({ err: err.message, storage: storage.location }, 'readiness: storage failed'),
        ),
      ]);
      const body = {
        status: redisOk && storageOk ? ('ready' as const) : ('unavailable' as const),
        redis: redisOk ? ('ok' as const) : ('unreachable' as const),
        storage: storageOk ? ('ok' as const) : ('unreachable' as const),
        backend,
      };
      return reply.status(body.status === 'ready' ? 200 : 503).send(body);
    },
  );
};

/** Whether `check` succeeds within CHECK_TIMEOUT_MS; a failure or a timeout is reported to `onError`. */
function passes(check: Promise<unknown>, onError: (err: Error) => void): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const settle = (ok: boolean, err?: Error) => {
      if (settled) return; // a failure after the timeout was reported already
      settled = true;
      clearTimeout(timer);
      if (err) onError(err);
      resolve(ok);
    };
    const timer = setTimeout(
      () => settle(false, new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
    timer.unref();
    check.then(
      () => settle(true),
      (err: unknown) => settle(false, err instanceof Error ? err : new Error(String(err))),
    );
  });
}

export default health;
