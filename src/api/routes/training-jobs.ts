import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams } from '../../schemas/common.js';
import { CreateTrainingJobSchema, ListJobsQuery, TrainingJobSchema } from '../../schemas/job.js';
import { errors, list, ref } from '../schemas.js';

const trainingJobs: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs } = app.deps;

  app.post(
    '/v1/training-jobs',
    {
      schema: {
        tags: ['training'],
        summary: 'Queue a training job',
        description:
          'Every hyperparameter is optional; the defaults are the reference recipe. Any other field is a 400.',
        body: CreateTrainingJobSchema,
        response: { 202: ref(TrainingJobSchema), ...errors(400, 404, 409, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const job = await jobs.submit(request.body);
      return reply.status(202).header('location', `/v1/training-jobs/${job.id}`).send(job);
    },
  );

  app.get(
    '/v1/training-jobs',
    {
      schema: {
        tags: ['training'],
        summary: 'List training jobs, newest first',
        querystring: ListJobsQuery,
        response: { 200: list(TrainingJobSchema), ...errors(400, 503) },
      },
    },
    async (request) => ({ items: await jobs.list(request.query) }),
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
    async (request) => jobs.get(request.params.id),
  );
};

export default trainingJobs;
