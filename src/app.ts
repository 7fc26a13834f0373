import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autoload from '@fastify/autoload';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppDeps } from './api/deps.js';
import { createAjv } from './validation.js';

export type { AppDeps } from './api/deps.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The HTTP API as a Fastify instance, not listening: `server.ts` listens, tests inject.
 * Plugins (errors, docs, multipart, shared schemas) and routes are autoloaded from api/.
 */
export async function buildApp(deps: AppDeps, opts: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: deps.config.MAX_UPLOAD_BYTES,
    // Deeply nested or huge JSON is refused by size first; this keeps the parser safe from prototype tricks.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: 'x-request-id',
    ...opts,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are validated strictly (no coercion, unknown fields refused); query strings and
  // path params are text and are coerced.
  const compilers = { strict: createAjv({ coerce: false }), coercing: createAjv({ coerce: true }) };
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // Binary bodies (images, multipart) are documented in the schema but checked by their handlers.
    if ((schema as { 'x-binary'?: boolean })['x-binary']) return () => true;
    return (httpPart === 'body' ? compilers.strict : compilers.coercing).compile(schema);
  });

  app.decorate('deps', deps);
  await app.register(autoload, { dir: join(here, 'api', 'plugins'), encapsulate: false });
  await app.register(autoload, { dir: join(here, 'api', 'routes'), dirNameRoutePrefix: false });
  return app;
}
