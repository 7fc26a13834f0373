import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { BadRequestError } from '../../errors.js';
import {
  AliasMoveSchema,
  AliasParams,
  LATEST,
  ModelVersionSchema,
  NameParams,
  PatchDescriptionSchema,
  RegisteredModelSchema,
  SetAliasBodySchema,
  VersionParams,
  VersionsQuery,
  aliasProblem,
  versionStatus,
} from '../../schemas/registry.js';
import { errors, list, ref } from '../route-schemas.js';
import { locate, shownTo } from '../tenancy.js';
import { modelNameOf } from '../model-refs.js';

/**
 * Registered models by name: their versions, aliases and alias history, and notes on both. A
 * name is per tenant: another tenant's name answers 404 as one that does not exist. Every change
 * drops this replica's cached resolution at once; the registry publishes it to the others.
 */
const registeredModels: FastifyPluginAsyncTypebox = async (app) => {
  const { registry, resolver, models, predictor } = app.deps;

  /** The tenant that holds the named model, among those the caller may see. */
  const ownerOf = async (request: FastifyRequest, segment: string) => {
    const name = modelNameOf(segment);
    const { tenant } = await locate(request, app.deps, (t) => registry.model(t, name));
    return { tenant, name };
  };
  const aliasOf = (alias: string) => {
    const problem = aliasProblem(alias);
    if (problem) throw new BadRequestError(`alias "${alias.slice(0, 40)}" ${problem}`, 'INVALID_ALIAS');
    if (alias === LATEST)
      throw new BadRequestError(
        '"latest" always holds the newest version; it cannot be moved or removed',
        'INVALID_ALIAS',
      );
    return alias;
  };
  const by = (request: FastifyRequest) => request.caller?.id ?? `ip:${request.ip}`;

  app.get(
    '/v1/models/:id/versions',
    {
      schema: {
        tags: ['models'],
        summary: 'Versions of a registered model, newest first, with their metrics and aliases side by side',
        params: NameParams,
        querystring: VersionsQuery,
        response: { 200: list(ModelVersionSchema), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { tenant, name } = await ownerOf(request, request.params.id);
      const versions = await registry.versions(tenant, name, request.query.limit ?? 100);
      return { items: versions.map((v) => shownTo(request, v, tenant)) };
    },
  );

  app.get(
    '/v1/models/:id/versions/:version',
    {
      schema: {
        tags: ['models'],
        summary: 'One version: its model id, metrics, aliases and lineage',
        params: VersionParams,
        response: { 200: ref(ModelVersionSchema), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { tenant, name } = await ownerOf(request, request.params.id);
      const version = await registry.version(tenant, name, request.params.version);
      // TF Serving's model status of this version, beside the version's own fields.
      return shownTo(request, { ...version, model_version_status: [versionStatus(version.version)] }, tenant);
    },
  );

  app.patch(
    '/v1/models/:id/versions/:version',
    {
      schema: {
        tags: ['models'],
        summary: "Set a version's description or tags (its model and lineage never change)",
        params: VersionParams,
        body: PatchDescriptionSchema,
        response: { 200: ref(ModelVersionSchema), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { tenant, name } = await ownerOf(request, request.params.id);
      await registry.setNotes(tenant, name, request.params.version, request.body);
      return shownTo(request, await registry.version(tenant, name, request.params.version), tenant);
    },
  );

  app.delete(
    '/v1/models/:id/versions/:version',
    {
      schema: {
        tags: ['models'],
        summary: 'Delete a version and its stored model; 409 while an alias points at it',
        params: VersionParams,
        response: { 204: Type.Null(), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { tenant, name } = await ownerOf(request, request.params.id);
      const id = await registry.deleteVersion(tenant, name, request.params.version);
      resolver.drop(tenant, name);
      await models
        .forTenant(tenant)
        .remove(id)
        .catch(() => {}); // already gone from storage: nothing to do
      predictor.evict(id, tenant);
      request.log.info({ model: name, version: request.params.version, owner: tenant }, 'model version deleted');
      return reply.status(204).send(null);
    },
  );

  app.patch(
    '/v1/models/:id',
    {
      schema: {
        tags: ['models'],
        summary: "Set a registered model's description or tags",
        params: NameParams,
        body: PatchDescriptionSchema,
        response: { 200: ref(RegisteredModelSchema), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { tenant, name } = await ownerOf(request, request.params.id);
      await registry.setNotes(tenant, name, undefined, request.body);
      return shownTo(request, await registry.model(tenant, name), tenant);
    },
  );

  app.put(
    '/v1/models/:id/aliases/:alias',
    {
      schema: {
        tags: ['models'],
        summary: 'Point an alias at a version (promote, or roll back); with expectedVersion a compare-and-set',
        params: AliasParams,
        body: SetAliasBodySchema,
        response: {
          200: Type.Object({
            alias: Type.String(),
            version: Type.Integer(),
            from: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errors(400, 404, 409),
        },
      },
    },
    async (request) => {
      const alias = aliasOf(request.params.alias);
      const { tenant, name } = await ownerOf(request, request.params.id);
      const { version, expectedVersion } = request.body;
      const { from } = await registry.moveAlias(tenant, name, alias, version, {
        expected: expectedVersion,
        by: by(request),
      });
      resolver.drop(tenant, name);
      request.log.info({ model: name, alias, from, to: version, owner: tenant }, 'model alias moved');
      return { alias, version, from };
    },
  );

  app.delete(
    '/v1/models/:id/aliases/:alias',
    {
      schema: {
        tags: ['models'],
        summary: 'Remove an alias (kept in the history)',
        params: AliasParams,
        response: { 204: Type.Null(), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const alias = aliasOf(request.params.alias);
      const { tenant, name } = await ownerOf(request, request.params.id);
      const { from } = await registry.moveAlias(tenant, name, alias, null, { by: by(request) });
      resolver.drop(tenant, name);
      request.log.info({ model: name, alias, from, owner: tenant }, 'model alias removed');
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/models/:id/history',
    {
      schema: {
        tags: ['models'],
        summary: 'Every alias move of a registered model, newest first: from, to, when, by whom',
        params: NameParams,
        response: { 200: Type.Object({ items: Type.Array(AliasMoveSchema) }), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { tenant, name } = await ownerOf(request, request.params.id);
      return { items: await registry.history(tenant, name) };
    },
  );
};

export default registeredModels;
