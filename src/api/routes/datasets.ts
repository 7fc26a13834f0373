import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BadRequestError, ConflictError, UnsupportedMediaTypeError } from '../../errors.js';
import { IdParams } from '../../schemas/common.js';
import { DatasetSchema } from '../../schemas/dataset.js';
import type { DatasetUpload } from '../../training/datasets/types.js';
import { binary, errors, list, ref } from '../schemas.js';

const FILE_FIELDS = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
type FileField = (typeof FILE_FIELDS)[number];

const UploadSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    ...Object.fromEntries(FILE_FIELDS.map((f) => [f, binary(`IDX file (${f}), optionally gzipped`)])),
  },
  { 'x-binary': true, required: ['name', ...FILE_FIELDS] },
);

const datasets: FastifyPluginAsyncTypebox = async (app) => {
  const { datasets: store, jobs, config } = app.deps;

  app.get(
    '/v1/datasets',
    {
      schema: { tags: ['datasets'], summary: 'Built-in and uploaded datasets', response: { 200: list(DatasetSchema) } },
    },
    async () => ({ items: await store.list() }),
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
    async (request) => store.get(request.params.id),
  );

  app.post(
    '/v1/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Upload a dataset as four IDX files (MNIST format, .gz allowed)',
        consumes: ['multipart/form-data'],
        body: { content: { 'multipart/form-data': { schema: UploadSchema } } },
        response: { 201: ref(DatasetSchema), ...errors(400, 413, 415) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new UnsupportedMediaTypeError(
          `content type "${request.headers['content-type'] ?? 'none'}" is not accepted here; upload a dataset as multipart/form-data`,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      }
      const files: Partial<Record<FileField, Buffer>> = {};
      let name: string | undefined;
      // Loose part limits: a surplus part is answered by the checks below with a 400 that names it.
      const limits = { fileSize: config.MAX_DATASET_BYTES, files: FILE_FIELDS.length + 4, fields: 8 };
      for await (const part of request.parts({ limits })) {
        if (part.type === 'field') {
          if (part.fieldname !== 'name' || name !== undefined) {
            throw new BadRequestError(`unexpected field "${part.fieldname}"; expected one "name"`, 'UNEXPECTED_FIELD');
          }
          name = String(part.value);
        } else {
          const field = part.fieldname as FileField;
          if (!FILE_FIELDS.includes(field) || files[field]) {
            throw new BadRequestError(
              `unexpected file field "${part.fieldname}"; expected one each of ${FILE_FIELDS.join(', ')}`,
              'UNEXPECTED_FIELD',
            );
          }
          files[field] = await part.toBuffer();
        }
      }
      const missing = FILE_FIELDS.filter((f) => !files[f]);
      if (missing.length > 0)
        throw new BadRequestError(`missing file field(s): ${missing.join(', ')}`, 'MISSING_FIELD');
      const trimmed = name?.trim();
      if (!trimmed || trimmed.length > 100) {
        throw new BadRequestError('field "name" is required (1–100 characters)', 'MISSING_FIELD');
      }
      const created = await store.create({ name: trimmed, ...files } as DatasetUpload);
      return reply.status(201).header('location', `/v1/datasets/${created.id}`).send(created);
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
      const info = await store.get(id);
      if (!info.builtin && (await jobs.usesDataset(id))) {
        throw new ConflictError(`dataset "${id}" is used by a queued or running job`, 'DATASET_IN_USE');
      }
      await store.remove(id);
      return reply.status(204).send(null);
    },
  );
};

export default datasets;
