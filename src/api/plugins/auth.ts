import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasScope, quotaOwnerOf, type Caller } from '../api-keys.js';
import { DEFAULT_TENANT } from '../../schemas/tenant.js';
import { createAuthFailures } from '../auth-failures.js';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from '../../errors.js';
import { errors, protocolErrors } from '../route-schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for every /v1 request: the key's caller, or the client's IP when the service runs open. */
    caller?: Caller;
  }
}

/** What a `predict` key may call: predictions and reading models. Everything else needs `train`. */
export function predictScopeAllows(method: string, route: string | undefined): boolean {
  if (
    route === '/v1/predict' ||
    route === '/v1/models/:id/predict' ||
    route === '/v1/models/:id/versions/:version/predict'
  )
    return method === 'POST';
  // KServe V2 infer and TF Serving :predict are predictions too.
  if (route?.startsWith('/v2/models/') && route.endsWith('/infer')) return method === 'POST';
  if (route?.startsWith('/v1/models/') && route.endsWith('::predict')) return method === 'POST';
  const isRead = method === 'GET' || method === 'HEAD';
  return isRead && (route === '/v1/models' || !!route?.startsWith('/v1/models/') || !!route?.startsWith('/v2/models/'));
}

/**
 * Routes that need a key when keys are set: all of /v1, and V2's model routes. V2's health and
 * server metadata stay open like /healthz: probes and clients read them before any model.
 */
export const isApiPath = (route: string) =>
  route === '/v1' || route.startsWith('/v1/') || route.startsWith('/v2/models/');

/** Routes only an `admin` key may call. */
export const isAdminRoute = (route: string | undefined): boolean => !!route?.startsWith('/v1/admin/');

/** Routes every key may call, whatever its scopes: who am I. */
const isSelfRoute = (route: string | undefined) => route === '/v1/whoami';

/**
 * What the scopes allow: `admin` everything; `train` all but the admin routes; `predict` the
 * predict routes and reading models.
 */
export function scopesAllow(caller: Pick<Caller, 'scopes'>, method: string, route: string | undefined): boolean {
  if (hasScope(caller, 'admin') || isSelfRoute(route)) return true;
  if (isAdminRoute(route)) return false;
  if (hasScope(caller, 'train')) return true;
  return hasScope(caller, 'predict') && predictScopeAllows(method, route);
}

/** The key in `Authorization: Bearer <key>`, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * API keys: with a keyring, every /v1 route needs `Authorization: Bearer <key>` (401 without
 * a valid one, 403 when its scope does not cover the route). Health checks, docs, the dashboard
 * and /metrics (which has METRICS_KEY) stay outside. Keys are compared as SHA-256 digests in
 * constant time and never logged (the logger redacts the header; callers appear by key id).
 * Past AUTH_FAILURES_PER_MINUTE failures from one IP, its keyless and wrong-key requests get a
 * 429 instead of the 401; its valid keys keep working. The IP is the peer's address: the app
 * does not trust X-Forwarded-For, so behind a proxy every client shares the proxy's.
 */
export default fp(async function auth(app: FastifyInstance) {
  const { keyring, redis, config } = app.deps;
  const limit = config.AUTH_FAILURES_PER_MINUTE;
  const failures = createAuthFailures({ redis, prefix: config.QUEUE_PREFIX, perMinute: limit });
  if (!keyring) {
    app.log.warn('API_KEYS is not set: every route is open to anyone who can reach this port');
  }
  app.decorateRequest('caller', undefined);
  // Every /v1 route documents the answers of this plugin and of the rate limits, whatever its own file lists.
  app.addHook('onRoute', (route) => {
    if (!isApiPath(route.url) || !route.schema) return;
    const response = (route.schema.response ?? {}) as Record<number, unknown>;
    route.schema = {
      ...route.schema,
      // Optional: the service runs open until API_KEYS is set, and then every one of these needs a key.
      security: [{ bearerAuth: [] }, {}],
      response: { ...response, ...(route.config?.protocolErrors ? protocolErrors : errors)(401, 403, 429) },
    };
  });
  app.addHook('onRequest', async (request, reply) => {
    // The matched route, not the raw URL: the router decodes percent-escapes, so `/%761/models`
    // reaches `/v1/models`. A request no route matched gets its 404 either way.
    const route = request.routeOptions.url;
    if (!route || !isApiPath(route)) return;
    if (!keyring) {
      const id = `ip:${request.ip}`;
      // Open mode is one tenant, the default; whoever reaches the port trains and predicts in it.
      request.caller = {
        id,
        tenant: DEFAULT_TENANT,
        scopes: ['train', 'predict'],
        quotaOwner: quotaOwnerOf(DEFAULT_TENANT, id),
      };
      reply.log = request.log = request.log.child({ caller: id, tenant: DEFAULT_TENANT });
      return;
    }
    const token = bearerToken(request);
    const caller = token === undefined ? undefined : keyring.verify(token);
    if (!caller) {
      const waitS = await failures.record(request.ip);
      if (waitS > 0) {
        void reply.header('retry-after', String(waitS));
        throw new TooManyRequestsError(
          `this address has had ${limit} failed authentications within a minute, the limit (AUTH_FAILURES_PER_MINUTE); requests without a valid key are refused for ${waitS} more seconds (a valid key still works)`,
          'TOO_MANY_AUTH_FAILURES',
        );
      }
      void reply.header(
        'www-authenticate',
        token === undefined ? 'Bearer realm="trainyard"' : 'Bearer realm="trainyard", error="invalid_token"',
      );
      throw token === undefined
        ? new UnauthorizedError('this route needs an API key: send "Authorization: Bearer <key>"', 'UNAUTHORIZED')
        : new UnauthorizedError('the API key is not valid', 'INVALID_API_KEY');
    }
    request.caller = caller;
    reply.log = request.log = request.log.child({ caller: caller.id, tenant: caller.tenant });
    if (!scopesAllow(caller, request.method, route)) {
      throw new ForbiddenError(
        isAdminRoute(route) || hasScope(caller, 'train')
          ? `${request.method} ${route} needs an "admin" key`
          : `a "predict" key may only call the predict routes and read models; ${request.method} ${route} needs a "train" key`,
        'INSUFFICIENT_SCOPE',
      );
    }
  });
});
