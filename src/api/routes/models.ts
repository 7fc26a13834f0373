import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IdParams } from '../../schemas/common.js';
import { ModelSchema } from '../../schemas/model.js';
import type { ModelFile, ModelStore } from '../../models/store.js';
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
function serveModelFile(store: ModelStore, file: ModelFile, type: string, caching: ReturnType<typeof cacheControl>) {
  return async (request: FastifyRequest<{ Params: Static<typeof IdParams> }>, reply: FastifyReply) => {
    const found = await store.fileRef(request.params.id, file);
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

  app.get(
    '/v1/models',
    { schema: { tags: ['models'], summary: 'Trained models, newest first', response: { 200: list(ModelSchema) } } },
    async () => ({ items: await store.list() }),
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
    async (request) => store.get(request.params.id),
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
      await store.remove(request.params.id);
      predictor.evict(request.params.id);
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
    const handler = serveModelFile(store, file, type, cacheControl(!!app.deps.keyring));
    app.get(`/v1/models/:id/${file}`, { schema, exposeHeadRoute: false }, handler);
    app.head(`/v1/models/:id/${file}`, { schema }, handler);
  }
};

export default models;
