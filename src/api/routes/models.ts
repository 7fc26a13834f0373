import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IdParams } from '../../schemas/common.js';
import { ModelSchema } from '../../schemas/model.js';
import { errors, list, ref } from '../schemas.js';

const models: FastifyPluginAsyncTypebox = async (app) => {
  const { models: store, predictor } = app.deps;

  app.get(
    '/v1/models',
    { schema: { tags: ['models'], summary: 'Trained models, newest first', response: { 200: list(ModelSchema) } } },
    async () => ({ items: await store.list() }),
  );

  app.get(
    '/v1/models/:id',
    {
      schema: {
        tags: ['models'],
        summary: 'One model: metrics, parameters, provenance',
        params: IdParams,
        response: { 200: ref(ModelSchema), ...errors(404) },
      },
    },
    async (request) => store.get(request.params.id),
  );

  app.delete(
    '/v1/models/:id',
    {
      schema: {
        tags: ['models'],
        summary: 'Delete a model',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      await store.remove(request.params.id);
      predictor.evict(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/models/:id/model.json',
    {
      schema: {
        tags: ['models'],
        summary: 'The model in TensorFlow.js layers format, for tf.loadLayersModel(url)',
        params: IdParams,
        response: {
          200: Type.Unsafe({ type: 'object', description: 'TensorFlow.js model.json', additionalProperties: true }),
          ...errors(404),
        },
      },
    },
    async (request, reply) => {
      const json = await store.readFile(request.params.id, 'model.json');
      return reply.type('application/json').header('cache-control', 'public, max-age=31536000, immutable').send(json);
    },
  );

  app.get(
    '/v1/models/:id/weights.bin',
    {
      schema: {
        tags: ['models'],
        summary: 'The weights file model.json names',
        params: IdParams,
        produces: ['application/octet-stream'],
        response: {
          200: Type.Unsafe({ type: 'string', format: 'binary', description: 'Weights, float32 little-endian' }),
          ...errors(404),
        },
      },
    },
    async (request, reply) => {
      const weights = await store.readFile(request.params.id, 'weights.bin');
      return reply
        .type('application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(weights);
    },
  );
};

export default models;
