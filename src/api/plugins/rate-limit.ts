import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { TooManyRequestsError } from '../../errors.js';

type Budget = 'predict' | 'train' | 'read';

/** Which budget a route draws on; routes not listed are not limited. */
const BUDGETS: Record<string, Budget> = {
  'POST /v1/predict': 'predict',
  'POST /v1/models/:id/predict': 'predict',
  'POST /v1/models/:id/versions/:version/predict': 'predict',
  'POST /v1/training-jobs': 'train',
  'POST /v1/datasets': 'train',
  // Changes that cost Redis work and write records: on the train budget too, so that a loop of
  // cancels or deletes cannot flood Redis while submissions are held back.
  'POST /v1/training-jobs/:id/cancel': 'train',
  'DELETE /v1/training-jobs/:id': 'train',
  'DELETE /v1/datasets/:id': 'train',
  'DELETE /v1/models/:id': 'train',
};

const SETTINGS: Record<Budget, string> = {
  predict: 'RATE_LIMIT_PREDICT_PER_MINUTE',
  train: 'RATE_LIMIT_TRAIN_PER_MINUTE',
  read: 'RATE_LIMIT_READ_PER_MINUTE',
};

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/** Every read of /v1 draws on `read`; health checks, metrics, docs and the dashboard are outside /v1. */
function budgetOf(request: FastifyRequest): Budget | undefined {
  const route = request.routeOptions.url ?? '';
  if (isRead(request.method) && (route.startsWith('/v1/') || route.startsWith('/v2/models/'))) return 'read';
  // The standard protocols' predictions (V2 infer, TF Serving :predict) share the predict budget.
  if (request.method === 'POST' && (route.endsWith('/infer') || route.endsWith('::predict'))) return 'predict';
  return BUDGETS[`${request.method} ${route}`];
}

/**
 * Per-caller budgets per minute, counted in Redis so every API replica shares them: one for
 * predictions, one for job submissions and dataset uploads, one for reads (an event stream
 * counts once, when it opens). The budget is the quota owner's (set by the auth plugin): a
 * named tenant's keys share one budget, so that minting more keys buys a tenant no more; keys
 * of the default tenant count one by one, and without keys each client IP does. When Redis cannot be reached the limit is not applied rather than failing
 * predictions and model reads, which do not otherwise need Redis.
 */
export default fp(async function limits(app: FastifyInstance) {
  const { redis, config } = app.deps;
  const perMinute: Record<Budget, number> = {
    predict: config.RATE_LIMIT_PREDICT_PER_MINUTE,
    train: config.RATE_LIMIT_TRAIN_PER_MINUTE,
    read: config.RATE_LIMIT_READ_PER_MINUTE,
  };
  await app.register(rateLimit, {
    global: true,
    redis,
    nameSpace: `${config.QUEUE_PREFIX}:ratelimit:`,
    skipOnError: true,
    timeWindow: 60_000,
    allowList: (request) => {
      const budget = budgetOf(request);
      return budget === undefined || perMinute[budget] <= 0;
    },
    max: (request) => perMinute[budgetOf(request)!],
    keyGenerator: (request) => `${budgetOf(request)}:${request.caller?.quotaOwner ?? `ip:${request.ip}`}`,
    errorResponseBuilder: (request, context) =>
      new TooManyRequestsError(
        `rate limit reached: ${context.max} ${budgetOf(request)} requests per minute (${SETTINGS[budgetOf(request)!]}); retry in ${context.after}`,
        'RATE_LIMITED',
      ),
  });
});
