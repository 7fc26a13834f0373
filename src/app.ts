import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppDeps } from './api/deps.js';
import { clientErrorHandler } from './api/client-errors.js';
import { lazyChildLogger } from './api/lazy-logger.js';
import { OneLinePerRequest } from './api/log-controller.js';
import { frameworkErrors } from './api/plugins/errors.js';
import { plugins } from './api/plugins/index.js';
import { routes } from './api/routes/index.js';
import { parseJson } from './api/json-body.js';
import { requestId } from './api/request-id.js';
import { formatValidationError } from './api/validation-errors.js';
import { createAjv } from './validation.js';

export type { AppDeps } from './api/deps.js';

const MAX_PARAM_LENGTH = 1000;

/**
 * The HTTP API as a Fastify instance, not listening: `server.ts` listens, tests inject.
 * Plugins (errors, docs, multipart, shared schemas) decorate the root; routes are encapsulated.
 */
export async function buildApp(
  deps: AppDeps,
  opts: FastifyServerOptions = {},
  /** The route plugins to register (tests compare the app with and without some of them). */
  routePlugins: readonly (typeof routes)[number][] = routes,
): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: deps.config.MAX_UPLOAD_BYTES,
    // A client that stalls (a body shorter than its Content-Length, a slowloris) loses its
    // socket after this much silence; event streams write a ping every 15 s and stay open.
    connectionTimeout: deps.config.CLIENT_IDLE_TIMEOUT_MS,
    // ...and one that trickles a byte now and then, after this long for the whole request.
    requestTimeout: deps.config.REQUEST_TIMEOUT_MS,
    // Our genReqId reads X-Request-Id itself, so that it can refuse ids that are not plain tokens.
    requestIdHeader: false,
    genReqId: requestId,
    // Long ids are answered by the routes (404), not by the router with a 414.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrors(MAX_PARAM_LENGTH),
    clientErrorHandler,
    schemaErrorFormatter: formatValidationError,
    logController: new OneLinePerRequest(),
    childLoggerFactory: lazyChildLogger,
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

  // JSON, multipart and the image types of the predict routes only: anything else is a 415.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  // Node's default gives request headers 60 s; a client gets no more for its headers than for any silence.
  app.server.headersTimeout = Math.min(app.server.headersTimeout, deps.config.CLIENT_IDLE_TIMEOUT_MS);
  app.decorate('deps', deps);
  // Every route the app serves, as `METHOD /path` (the access checks are tested against it).
  const served: string[] = [];
  app.decorate('servedRoutes', served);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) served.push(`${method} ${route.url}`);
  });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  for (const plugin of plugins) await app.register(plugin);
  for (const route of routePlugins) await app.register(route);
  return app;
}
