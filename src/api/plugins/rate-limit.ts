import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { TooManyRequestsError } from '../../errors.js';

type Budget = 'predict' | 'train';

/** Which budget a route draws on; routes not listed are not limited. */
const BUDGETS: Record<string, Budget> = {
  'POST /v1/predict': 'predict',
  'POST /v1/models/:id/predict': 'predict',
  'POST /v1/training-jobs': 'train',
  'POST /v1/datasets': 'train',
};

const budgetOf = (request: FastifyRequest): Budget | undefined =>
  BUDGETS[`${request.method} ${request.routeOptions.url ?? ''}`];

/**
 * Per-caller budgets per minute, counted in Redis so every API replica shares them: one for
 * predictions, one for job submissions and dataset uploads. The caller is the API key's id
 * (set by the auth plugin) or the client's IP. When Redis cannot be reached the limit is not
 * applied rather than failing predictions, which do not otherwise need Redis.
 */
export default fp(async function limits(app: FastifyInstance) {
  const { redis, config } = app.deps;
  const perMinute: Record<Budget, number> = {
    predict: config.RATE_LIMIT_PREDICT_PER_MINUTE,
    train: config.RATE_LIMIT_TRAIN_PER_MINUTE,
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
    keyGenerator: (request) => `${budgetOf(request)}:${request.caller?.id ?? `ip:${request.ip}`}`,
    errorResponseBuilder: (request, context) =>
      new TooManyRequestsError(
        `rate limit reached: ${context.max} ${budgetOf(request)} requests per minute; retry in ${context.after}`,
        'RATE_LIMITED',
      ),
  });
});
