import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IdParams } from '../../schemas/common.js';
import { ModelSchema } from '../../schemas/model.js';
import type { ModelFile, ModelFileRef } from '../../models/store.js';
import { TenantQuery } from '../../schemas/tenant.js';
import { knownTenants, listScope, locate, shownTo } from '../tenancy.js';
import { RegisteredModelSchema, parseModelRef, versionStatus } from '../../schemas/registry.js';
import { modelNameOf } from '../model-refs.js';
import { errors, ref } from '../route-schemas.js';

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

/** Whether `/v1/models/{segment}` names a registered model; anything else is looked up as an id (404 when none). */
const isName = (segment: string) => parseModelRef(segment).kind === 'name' && !segment.includes('@');

/** Most versions TF Serving's model status lists, newest first. */
const TF_STATUS_VERSIONS = 100;

const models: FastifyPluginAsyncTypebox = async (app) => {
  const { models: store, predictor, registry, resolver } = app.deps;
  // While Redis is away the stored models still list; the registered ones cannot be read.
  const registeredOf = (tenant: string) => registry.models(tenant).catch(() => []);

  // By id, in the tenants the caller may see: another tenant's model answers 404.
  const find = (request: FastifyRequest, id: string) => locate(request, app.deps, (t) => store.forTenant(t).get(id));

  app.get(
    '/v1/models',
    {
      schema: {
        tags: ['models'],
        summary: "The tenant's stored models (versions), newest first, and its registered models with their aliases",
        querystring: TenantQuery,
        response: {
          200: Type.Object({ items: Type.Array(ref(ModelSchema)), registered: Type.Array(ref(RegisteredModelSchema)) }),
          ...errors(400, 403),
        },
      },
    },
    async (request) => {
      const tenant = listScope(request, request.query.tenant);
      const tenants = tenant !== undefined ? [tenant] : await knownTenants(app.deps);
      const each = await Promise.all(
        tenants.map(async (t) => {
          const [stored, named] = await Promise.all([store.forTenant(t).list(), registeredOf(t)]);
          return { stored: stored.map((m) => shownTo(request, m, t)), named: named.map((m) => shownTo(request, m, t)) };
        }),
      );
      const items = each.flatMap((e) => e.stored);
      if (tenants.length > 1) items.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
      return { items, registered: each.flatMap((e) => e.named) };
    },
  );

  app.get(
    '/v1/models/:id',
    {
      schema: {
        tags: ['models'],
        summary: 'A stored model by id (metrics, parameters, provenance), or a registered model by name',
        description: 'Ids are UUIDs; names are slugs that never look like one.',
        params: IdParams,
        response: { 200: Type.Union([ref(ModelSchema), ref(RegisteredModelSchema)]), ...errors(400, 404) },
      },
    },
    async (request) => {
      if (isName(request.params.id)) {
        const name = modelNameOf(request.params.id);
        const { tenant, value } = await locate(request, app.deps, (t) => registry.model(t, name));
        // TF Serving's model status (every version is served), beside the model's own fields.
        const versions = await registry.versions(tenant, name, TF_STATUS_VERSIONS);
        const model_version_status = versions.map((v) => versionStatus(v.version));
        return shownTo(request, { ...value, model_version_status }, tenant);
      }
      const { tenant, value } = await find(request, request.params.id);
      return shownTo(request, value, tenant);
    },
  );

  app.delete(
    '/v1/models/:id',
    {
      schema: {
        tags: ['models'],
        summary: 'Delete a stored model by id (409 while an alias holds its version), or a registered model by name',
        description: "Deleting a registered model deletes its versions' stored models, its aliases and history.",
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      if (isName(request.params.id)) {
        const name = modelNameOf(request.params.id);
        const { tenant } = await locate(request, app.deps, (t) => registry.model(t, name));
        const ids = await registry.deleteModel(tenant, name);
        resolver.drop(tenant, name);
        for (const id of ids) {
          await store
            .forTenant(tenant)
            .remove(id)
            .catch(() => {}); // already gone from storage
          predictor.evict(id, tenant);
        }
        request.log.info({ model: name, versions: ids.length, owner: tenant }, 'registered model deleted');
        return reply.status(204).send(null);
      }
      const { tenant } = await find(request, request.params.id);
      // A registered version goes through the registry first: an alias holding it refuses.
      const named = await registry.versionOfId(tenant, request.params.id);
      if (named) {
        await registry.deleteVersion(tenant, named.name, named.version);
        resolver.drop(tenant, named.name);
      }
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
