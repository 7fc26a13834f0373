import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  BadRequestError,
  ConflictError,
  DomainError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../errors.js';
import { IdParams, fieldError } from '../../schemas/common.js';
import { DatasetSchema } from '../../schemas/dataset.js';
import { UPLOAD_FIELDS as FILE_FIELDS } from '../../datasets/upload.js';
import { parseLabelsField } from '../../datasets/class-labels.js';
import { PREPROCESS_RULES, PreprocessSchema, type Preprocess } from '../../schemas/classes.js';
import type { UploadClasses } from '../../datasets/types.js';
import type { UploadField as FileField } from '../../datasets/types.js';
import { binary, errors, list, ref } from '../route-schemas.js';
import { TenantQuery } from '../../schemas/tenant.js';
import { allShownTo, callerTenant, knownTenants, listScope, locate, shownTo } from '../tenancy.js';
import type { FastifyRequest } from 'fastify';

/** Room for gzip's framing on top of MAX_DATASET_BYTES: incompressible data grows a little. */
const GZIP_SLACK = (bytes: number) => 64 * 1024 + Math.ceil(bytes / 1000);

/** Room for the `labels` field: MAX_CLASSES names of 64 characters, quoted, in UTF-8. */
const TEXT_FIELD_BYTES = 64 * 1024;
const TEXT_FIELDS = ['name', 'labels', 'preprocess'] as const;

const UploadSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    labels: Type.Optional(
      Type.String({
        description:
          'Class names, index = label: a JSON array of strings or names separated by commas; ' +
          'default "0", "1", … (ten, or up to the highest label). 2 to MAX_CLASSES names of 1–64 characters, ' +
          'none of them control, invisible or bidi characters, no two alike ignoring case',
      }),
    ),
    preprocess: Type.Optional(PreprocessSchema),
    ...Object.fromEntries(FILE_FIELDS.map((f) => [f, binary(`IDX file (${f}), optionally gzipped`)])),
  },
  { 'x-binary': true, required: ['name', ...FILE_FIELDS] },
);

/** The classes' names and the rule from the text fields of an IDX upload, checked (a 400 naming the field). */
function uploadClasses(text: Map<string, string>, maxClasses: number): UploadClasses {
  const labels = text.get('labels');
  const preprocess = text.get('preprocess');
  if (preprocess !== undefined && !(PREPROCESS_RULES as readonly string[]).includes(preprocess)) {
    throw new BadRequestError(
      `preprocess: ${JSON.stringify(preprocess.slice(0, 40))} is not a rule; use ${PREPROCESS_RULES.join(' or ')}`,
      'VALIDATION_ERROR',
      [fieldError('preprocess', `must be one of ${PREPROCESS_RULES.join(', ')}`)],
    );
  }
  return {
    ...(labels !== undefined ? { labels: parseLabelsField(labels, maxClasses) } : {}),
    ...(preprocess !== undefined ? { preprocess: preprocess as Preprocess } : {}),
  };
}

const datasets: FastifyPluginAsyncTypebox = async (app) => {
  const { datasets: store, jobs, config } = app.deps;
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
        summary: 'Upload a dataset as four IDX files (MNIST format, .gz allowed), with optional class names and rule',
        consumes: ['multipart/form-data'],
        body: { content: { 'multipart/form-data': { schema: UploadSchema } } },
        response: { 201: ref(DatasetSchema), ...errors(400, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new UnsupportedMediaTypeError(
          `content type "${request.headers['content-type'] ?? 'none'}" is not accepted here; upload a dataset as multipart/form-data`,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      }
      // What is stored belongs to the caller's tenant; quotas count per tenant (per key or client
      // IP within the default tenant).
      const owner = request.caller?.quotaOwner ?? `ip:${request.ip}`;
      const tenant = callerTenant(request);
      const maxFile = config.MAX_DATASET_BYTES + GZIP_SLACK(config.MAX_DATASET_BYTES);
      // Loose part counts: a surplus part is answered by the checks below with a 400 that names it.
      const limits = {
        fileSize: maxFile,
        files: FILE_FIELDS.length + 2,
        fields: TEXT_FIELDS.length + 2,
        parts: 12,
        fieldSize: TEXT_FIELD_BYTES,
      };
      const session = await store
        .forTenant(tenant)
        .beginUpload(owner)
        .catch((err: unknown) => {
          if (err instanceof DomainError && err.code === 'TOO_MANY_UPLOADS') void reply.header('retry-after', '5');
          throw err;
        });
      try {
        const seen = new Set<FileField>();
        let name: string | undefined;
        const text = new Map<string, string>();
        for await (const part of request.parts({ limits })) {
          if (part.type === 'field') {
            const known = (TEXT_FIELDS as readonly string[]).includes(part.fieldname);
            if (!known || text.has(part.fieldname)) {
              throw new BadRequestError(
                `unexpected field "${part.fieldname}"; the text fields are ${TEXT_FIELDS.join(', ')}, each once`,
                'UNEXPECTED_FIELD',
                [
                  known
                    ? fieldError(part.fieldname, 'is given more than once')
                    : fieldError(part.fieldname, `is not expected: the text fields are ${TEXT_FIELDS.join(', ')}`),
                ],
              );
            }
            // A value over fieldSize arrives cut off: no name of 1–100 characters is that long.
            if (part.valueTruncated && part.fieldname !== 'name') {
              throw new BadRequestError(
                `${part.fieldname}: longer than ${TEXT_FIELD_BYTES} bytes`,
                'VALIDATION_ERROR',
                [fieldError(part.fieldname, `is longer than ${TEXT_FIELD_BYTES} bytes`)],
              );
            }
            text.set(part.fieldname, part.valueTruncated ? '' : String(part.value));
            if (part.fieldname === 'name') name = text.get('name');
            else uploadClasses(text, config.MAX_CLASSES); // refused as it arrives, before more files are read
            continue;
          }
          const field = part.fieldname as FileField;
          if (!FILE_FIELDS.includes(field) || seen.has(field)) {
            throw new BadRequestError(
              `unexpected file field "${part.fieldname}"; expected one each of ${FILE_FIELDS.join(', ')}`,
              'UNEXPECTED_FIELD',
              [
                seen.has(field)
                  ? fieldError(field, 'is given more than once')
                  : fieldError(part.fieldname, `is not expected: one file each of ${FILE_FIELDS.join(', ')}`),
              ],
            );
          }
          seen.add(field);
          // Past fileSize the parser cuts the file short and ends it: whatever the cut-off stream
          // then fails with (most often "not valid gzip"), the answer is that it was too large.
          const tooLarge = () =>
            new PayloadTooLargeError(
              `${field}: more than ${maxFile} bytes as uploaded; at most ${config.MAX_DATASET_BYTES} bytes per file (MAX_DATASET_BYTES)`,
              'PAYLOAD_TOO_LARGE',
            );
          part.file.once('limit', () => part.file.destroy(tooLarge()));
          await session.addFile(field, part.file).catch((err: unknown) => {
            throw part.file.truncated ? tooLarge() : err;
          });
          if (part.file.truncated) throw tooLarge();
        }
        const missing = FILE_FIELDS.filter((f) => !seen.has(f));
        if (missing.length > 0) {
          const fields = missing.map((f) => fieldError(f, 'is required'));
          throw new BadRequestError(`missing file field(s): ${missing.join(', ')}`, 'MISSING_FIELD', fields);
        }
        const trimmed = name?.trim();
        if (!trimmed || trimmed.length > 100) {
          throw new BadRequestError('field "name" is required (1–100 characters)', 'MISSING_FIELD', [
            fieldError('name', 'is required (1–100 characters)'),
          ]);
        }
        // Registered first: a tenant whose upload is stored is always among the admin's tenants.
        await jobs.registerTenant(tenant);
        const created = await session.commit(trimmed, uploadClasses(text, config.MAX_CLASSES));
        request.log.info({ dataset: created.id }, 'dataset uploaded');
        return await reply.status(201).header('location', `/v1/datasets/${created.id}`).send(shownTo(request, created));
      } catch (err) {
        // The rest of a refused body is not read: close the connection rather than drain it.
        void reply.header('connection', 'close');
        throw err;
      } finally {
        await session.abort();
      }
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
