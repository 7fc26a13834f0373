import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IdParams } from '../../schemas/common.js';
import { ModelSchema } from '../../schemas/model.js';
import type { ModelFile, ModelFileRef } from '../../models/store.js';
import { TenantQuery } from '../../schemas/tenant.js';
import { allShownTo, knownTenants, listScope, locate, shownTo } from '../tenancy.js';
import { errors, list, ref } from '../route-schemas.js';

/**
 * Model files never change once saved. With API keys they are for their callers only: `private`
 * keeps them out of shared caches (a proxy would otherwise hand them to requests without a key)
 * and `Vary: Authorization` keeps a browser from reusing one key's answer for another.
 */
export function cacheControl(keyed: boolean): { cacheControl: string; vary?: string } {
  return keyed
    ? { cacheControl: 'private, max-age=31536000, immutable', vary: 'authorization' }
    : { cacheControl: 'public, max-age=31536000, immutable' };
}

/** Whether an If-None-Match header names `etag` (weak comparison, as for GET and HEAD) or is `*`. */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((entry) => {
    const tag = entry.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

/**
 * Sends one model file as a stream with its length, or 304 when If-None-Match already names it.
 * Range is ignored (`Accept-Ranges: none`): an answer is always the whole file.
 */
function serveModelFile(
  open: (request: FastifyRequest, id: string) => Promise<ModelFileRef>,
  type: string,
  caching: ReturnType<typeof cacheControl>,
) {
  return async (request: FastifyRequest<{ Params: Static<typeof IdParams> }>, reply: FastifyReply) => {
    const found = await open(request, request.params.id);
    void reply.header('etag', found.etag).header('cache-control', caching.cacheControl).header('accept-ranges', 'none');
    if (caching.vary) appendVary(reply, caching.vary);
    if (matchesEtag(request.headers['if-none-match'], found.etag)) return reply.status(304).send();
    const { body, size } = await found.open();
    void reply.type(type).header('content-length', size);
    if (request.method === 'HEAD') {
      body.destroy();
      return reply.send();
    }
    return reply.send(body);
  };
}

/** Adds to Vary without dropping what CORS put there (`Origin`). */
function appendVary(reply: FastifyReply, name: string): void {
  const current = reply.getHeader('vary');
  const names =
    current === undefined
      ? []
      : String(current)
          .split(',')
          .map((n) => n.trim());
  if (!names.some((n) => n.toLowerCase() === name)) void reply.header('vary', [...names, name].join(', '));
}

const models: FastifyPluginAsyncTypebox = async (app) => {
  const { models: store, predictor } = app.deps;

  // By id, in the tenants the caller may see: another tenant's model answers 404.
  const find = (request: FastifyRequest, id: string) => locate(request, app.deps, (t) => store.forTenant(t).get(id));

  app.get(
    '/v1/models',
    {
      schema: {
        tags: ['models'],
        summary: "The tenant's trained models, newest first",
        querystring: TenantQuery,
        response: { 200: list(ModelSchema), ...errors(400, 403) },
      },
    },
    async (request) => {
      const tenant = listScope(request, request.query.tenant);
      if (tenant !== undefined) return allShownTo(request, await store.forTenant(tenant).list(), tenant);
      const all = await Promise.all(
        (await knownTenants(app.deps)).map(async (t) =>
          (await store.forTenant(t).list()).map((m) => ({ ...m, tenant: t })),
        ),
      );
      return { items: all.flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)) };
    },
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
    async (request) => {
      const { tenant, value } = await find(request, request.params.id);
      return shownTo(request, value, tenant);
    },
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
      const { tenant } = await find(request, request.params.id);
      await store.forTenant(tenant).remove(request.params.id);
      predictor.evict(request.params.id, tenant);
      request.log.info({ model: request.params.id, owner: tenant }, 'model deleted');
      return reply.status(204).send(null);
    },
  );

  // Model files stream from storage (weights.bin is as large as the model). HEAD routes of their
  // own: Fastify's automatic ones would read a streamed file to its end only to discard it.
  const fileRoutes: [file: ModelFile, type: string, summary: string, body: TSchema][] = [
    [
      'model.json',
      'application/json',
      'The model in TensorFlow.js layers format, for tf.loadLayersModel(url)',
      Type.Unsafe({ type: 'object', description: 'TensorFlow.js model.json', additionalProperties: true }),
    ],
    [
      'weights.bin',
      'application/octet-stream',
      'The weights file model.json names',
      Type.Unsafe({ type: 'string', format: 'binary', description: 'Weights, float32 little-endian' }),
    ],
  ];
  for (const [file, type, summary, body] of fileRoutes) {
    const schema = {
      tags: ['models'],
      summary,
      params: IdParams,
      ...(type === 'application/octet-stream' ? { produces: [type] } : {}),
      response: {
        200: body,
        304: Type.Null({ description: 'Not modified: If-None-Match names the ETag' }),
        ...errors(404),
      },
    };
    const open = async (request: FastifyRequest, id: string) => {
      const { tenant } = await find(request, id);
      return store.forTenant(tenant).fileRef(id, file);
    };
    const handler = serveModelFile(open, type, cacheControl(!!app.deps.keyring));
    app.get(`/v1/models/:id/${file}`, { schema, exposeHeadRoute: false }, handler);
    app.head(`/v1/models/:id/${file}`, { schema }, handler);
  }
};

export default models;
