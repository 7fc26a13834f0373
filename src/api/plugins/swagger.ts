import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const OPENAPI_INFO = {
  title: 'Trainyard',
  version: '1.0.0',
  description:
    'Train small image classifiers (28×28 grayscale: MNIST digits, Fashion-MNIST, your own IDX uploads) ' +
    'through a job queue, watch them train epoch by epoch, and serve predictions on uploaded images.',
};

/** The OpenAPI 3.1 document is generated from the route schemas; Swagger UI serves it at /docs. */
export default fp(async function docs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key from API_KEYS. Optional while API_KEYS is unset (the service then runs open, as by default); ' +
              'once it is set, every /v1 route and the /v2/models routes need one. Each key names a tenant ' +
              '(`key:scopes:tenant`; the older `key:scope` is tenant `default`) and carries scopes: `predict` ' +
              'calls the predict routes and reads models, `train` every route but /v1/admin, `admin` everything ' +
              "on every tenant. A key sees and creates its own tenant's jobs, datasets and models only: another " +
              "tenant's resource answers 404, exactly as an id that does not exist.",
          },
        },
      },
      tags: [
        { name: 'training', description: 'Training jobs' },
        { name: 'datasets', description: 'Built-in and uploaded datasets' },
        { name: 'models', description: 'Trained models' },
        { name: 'predict', description: 'Predictions' },
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'v2', description: 'Open Inference Protocol (KServe V2) with Triton binary tensors' },
        { name: 'tfserving', description: 'TensorFlow Serving REST API' },
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
