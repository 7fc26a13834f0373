import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { SHARED_SCHEMAS } from '../schemas.js';

/** Shared shapes registered once: routes reference them and OpenAPI lists them as components. */
export default fp(async function schemas(app: FastifyInstance) {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
});
