import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** multipart/form-data for image batches and dataset uploads; routes read parts themselves and set their own limits. */
export default fp(async function multipartBodies(app: FastifyInstance) {
  await app.register(multipart, {
    limits: { fileSize: app.deps.config.MAX_UPLOAD_BYTES, files: app.deps.config.MAX_BATCH, fields: 10, parts: 1000 },
  });
});
