import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConflictError, NotFoundError, UnsupportedMediaTypeError } from '../../errors.js';
import { IdParams } from '../../schemas/common.js';
import { DatasetSchema } from '../../schemas/dataset.js';
import { PreprocessSchema } from '../../schemas/classes.js';
import { UPLOAD_FIELDS as FILE_FIELDS } from '../../datasets/upload.js';
import { receiveDatasetUpload } from './dataset-upload.js';
import { binary, errors, list, ref } from '../route-schemas.js';
import { TenantQuery } from '../../schemas/tenant.js';
import { allShownTo, knownTenants, listScope, locate, shownTo } from '../tenancy.js';
import type { FastifyRequest } from 'fastify';

const UploadSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    archive: Type.Optional(binary('ZIP, tar or tar.gz of class folders (PNG, JPEG, BMP, WebP, GIF images)')),
    trainCsv: Type.Optional(binary('CSV: a header row with "label" and 784 pixel columns (0–255), one image per row')),
    testCsv: Type.Optional(binary('CSV of the test split, in the form of trainCsv')),
    testSplit: Type.Optional(
      Type.Number({
        minimum: 0.05,
        maximum: 0.5,
        default: 0.2,
        description: 'Share of each class drawn into the test split when the upload has none',
      }),
    ),
    seed: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 4294967295,
        description: 'Seed of that split (random when absent; shown on the dataset)',
      }),
    ),
    labels: Type.Optional(
      Type.String({
        description:
          'IDX uploads only: class names, index = label, as a JSON array of strings or names separated by commas; ' +
          'default "0", "1", … (ten, or up to the highest label). 2 to MAX_CLASSES names of 1–64 characters, ' +
          'none of them control, invisible or bidi characters, no two alike ignoring case',
      }),
    ),
    preprocess: Type.Optional({ ...PreprocessSchema, default: 'mnist' }),
    ...Object.fromEntries(FILE_FIELDS.map((f) => [f, Type.Optional(binary(`IDX file (${f}), optionally gzipped`))])),
  },
  { 'x-binary': true, required: ['name'] },
);

const datasets: FastifyPluginAsyncTypebox = async (app) => {
  const { datasets: store, jobs } = app.deps;
  // By id, in the tenants the caller may see: another tenant's upload answers 404.
  const find = (request: FastifyRequest, id: string) => locate(request, app.deps, (t) => store.forTenant(t).get(id));

  app.get(
    '/v1/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: "The built-in datasets and the tenant's uploads",
        querystring: TenantQuery,
        response: { 200: list(DatasetSchema), ...errors(400, 403) },
      },
    },
    async (request) => {
      const tenant = listScope(request, request.query.tenant);
      if (tenant !== undefined) return allShownTo(request, await store.forTenant(tenant).list());
      // An admin's view of every tenant: the built-ins once, then each tenant's uploads.
      const lists = await Promise.all((await knownTenants(app.deps)).map((t) => store.forTenant(t).list()));
      const uploads = lists.flatMap((items) => items.filter((d) => !d.builtin));
      return allShownTo(request, [...(lists[0] ?? []).filter((d) => d.builtin), ...uploads]);
    },
  );

  app.get(
    '/v1/datasets/:id',
    {
      schema: {
        tags: ['datasets'],
        summary: 'One dataset',
        params: IdParams,
        response: { 200: ref(DatasetSchema), ...errors(404) },
      },
    },
    async (request) => shownTo(request, (await find(request, request.params.id)).value),
  );

  app.post(
    '/v1/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Upload a dataset: an archive of class folders, CSV files, or four IDX files',
        description:
          'An `archive` (ZIP, tar or tar.gz of `train/<class>/*` with optional `test/<class>/*`, or `<class>/*` at the ' +
          'root, optionally under one top-level folder) or `trainCsv` (+ `testCsv`: a header with `label` and 784 ' +
          'pixel columns) is staged and answered 202 with the dataset `importing`; a `dataset-import` job then ' +
          'converts it (see `import.progress`) and ends `ready` or `failed` (`import.error`). Classes are the folder ' +
          'names or CSV labels sorted by Unicode code point. The four IDX files are stored at once (201).',
        consumes: ['multipart/form-data'],
        body: { content: { 'multipart/form-data': { schema: UploadSchema } } },
        response: { 201: ref(DatasetSchema), 202: ref(DatasetSchema), ...errors(400, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new UnsupportedMediaTypeError(
          `content type "${request.headers['content-type'] ?? 'none'}" is not accepted here; upload a dataset as multipart/form-data`,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      }
      const { status, dataset } = await receiveDatasetUpload(request, reply, app.deps);
      return reply.status(status).header('location', `/v1/datasets/${dataset.id}`).send(shownTo(request, dataset));
    },
  );

  app.get(
    '/v1/datasets/:id/preview.png',
    {
      schema: {
        tags: ['datasets'],
        summary:
          'A grid of the first 8 training images of each class (one row per class, in class order), as the network sees them',
        params: IdParams,
        produces: ['image/png'],
        response: { 200: binary('PNG image'), ...errors(404) },
      },
    },
    async (request, reply) => {
      const { tenant, value: info } = await find(request, request.params.id);
      const png = await store.forTenant(tenant).preview(info.id);
      if (!png) {
        const why = info.builtin
          ? 'built-in datasets have none'
          : info.state === 'importing'
            ? 'the dataset is still importing'
            : 'its import failed';
        throw new NotFoundError(`no preview of dataset "${info.id}": ${why}`, 'PREVIEW_NOT_FOUND');
      }
      return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(png);
    },
  );

  app.delete(
    '/v1/datasets/:id',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Delete an uploaded dataset (409 for built-ins and while a queued or running job uses it)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404, 409, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { tenant, value: info } = await find(request, id);
      if (!info.builtin && (await jobs.usesDataset(id, tenant))) {
        throw new ConflictError(`dataset "${id}" is used by a queued or running job`, 'DATASET_IN_USE');
      }
      await store.forTenant(tenant).remove(id);
      request.log.info({ dataset: id, owner: tenant }, 'dataset deleted');
      return reply.status(204).send(null);
    },
  );
};

export default datasets;
