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
              'An API key from API_KEYS; needed on /v1 routes only when API_KEYS is set. Each key names a tenant ' +
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
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
