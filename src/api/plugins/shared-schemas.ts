import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { SHARED_SCHEMAS } from '../route-schemas.js';

/** Shared shapes registered once: routes reference them and OpenAPI lists them as components. */
export default fp(async function sharedSchemas(app: FastifyInstance) {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
});
