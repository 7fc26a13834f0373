import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IdParams } from '../../schemas/common.js';
import { CreateTrainingJobSchema, ListJobsQuery, TrainingJobSchema } from '../../schemas/job.js';
import { errors, list, ref } from '../route-schemas.js';
import { allShownTo, callerTenant, idScope, listScope, shownTo } from '../tenancy.js';

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[\\x20-\\x7E]+$',
      description:
        'Makes the request safe to retry: within 24 h, the same key with the same body answers the job the ' +
        'first request created (200, same Location) instead of queuing another; with a different body it is ' +
        'a 409 IDEMPOTENCY_KEY_REUSED. 1–200 printable ASCII characters.',
    }),
  ),
});

const trainingJobs: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs } = app.deps;

  app.post(
    '/v1/training-jobs',
    {
      schema: {
        tags: ['training'],
        summary: 'Queue a training job',
        description:
          'Every hyperparameter is optional; the defaults are the reference recipe. Any other field is a 400. ' +
          'So is a job past the budgets, with a message naming its figure and the setting: more parameters than ' +
          'MAX_MODEL_PARAMS, batchSize × hidden units above MAX_BATCH_UNITS, training work (6 × parameters × ' +
          'training samples × epochs) above MAX_JOB_GFLOP, or a timeoutSeconds above JOB_TIMEOUT_SECONDS. ' +
          'Answers 202 with the new job, or 200 with the earlier job when an Idempotency-Key is repeated.',
        headers: IdempotencyHeaders,
        body: CreateTrainingJobSchema,
        response: {
          200: ref(TrainingJobSchema),
          202: ref(TrainingJobSchema),
          ...errors(400, 404, 409, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const idempotencyKey = request.headers['idempotency-key'];
      const { job, replayed } = await jobs.submit(request.body, {
        idempotencyKey,
        owner: request.caller?.quotaOwner,
        caller: request.caller?.id,
        tenant: callerTenant(request),
      });
      request.log.info({ job: job.id, replayed }, replayed ? 'training job replayed' : 'training job queued');
      // 200 for a replay, so a client can tell it did not queue a second job.
      return reply
        .status(replayed ? 200 : 202)
        .header('location', `/v1/training-jobs/${job.id}`)
        .send(shownTo(request, job));
    },
  );

  app.get(
    '/v1/training-jobs',
    {
      schema: {
        tags: ['training'],
        summary: "List the tenant's training jobs, newest first",
        querystring: ListJobsQuery,
        response: { 200: list(TrainingJobSchema), ...errors(400, 403, 503) },
      },
    },
    async (request) => {
      const { tenant, ...query } = request.query;
      return allShownTo(request, await jobs.list({ ...query, tenant: listScope(request, tenant) }));
    },
  );

  app.get(
    '/v1/training-jobs/:id',
    {
      schema: {
        tags: ['training'],
        summary: 'A training job with its progress: each finished epoch appears as soon as it ends',
        params: IdParams,
        response: { 200: ref(TrainingJobSchema), ...errors(404, 503) },
      },
    },
    async (request) => shownTo(request, await jobs.get(request.params.id, idScope(request))),
  );

  app.post(
    '/v1/training-jobs/:id/cancel',
    {
      schema: {
        tags: ['training'],
        summary: 'Cancel a job',
        description:
          'A queued job is removed from the queue and is cancelled at once. A running job stops after its ' +
          'current batch (within about a second), stores no model, and shows `cancelled` shortly after this ' +
          'answer. A finished job is a 409.',
        params: IdParams,
        response: { 202: ref(TrainingJobSchema), ...errors(404, 409, 503) },
      },
    },
    async (request, reply) => {
      const job = await jobs.cancel(request.params.id, idScope(request));
      request.log.info({ job: job.id, owner: job.tenant }, 'training job cancel requested');
      return reply.status(202).send(shownTo(request, job));
    },
  );

  app.delete(
    '/v1/training-jobs/:id',
    {
      schema: {
        tags: ['training'],
        summary: "Delete a finished job's record (409 while it is queued or running)",
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404, 409, 503) },
      },
    },
    async (request, reply) => {
      const job = await jobs.remove(request.params.id, idScope(request));
      request.log.info({ job: job.id, owner: job.tenant }, 'training job deleted');
      return reply.status(204).send(null);
    },
  );
};

export default trainingJobs;
