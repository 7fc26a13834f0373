import { randomInt } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import { BadRequestError, DomainError, PayloadTooLargeError } from '../../errors.js';
import { fieldError } from '../../schemas/common.js';
import { PREPROCESS_RULES, type PreprocessRule } from '../../schemas/dataset-import.js';
import { UPLOAD_FIELDS as IDX_FIELDS } from '../../datasets/upload.js';
import { parseLabelsField } from '../../datasets/class-labels.js';
import type {
  UploadClasses,
  DatasetImportSession,
  DatasetInfo,
  DatasetUploadSession,
  ImportField,
  ImportParams,
  UploadField,
} from '../../datasets/types.js';
import type { AppDeps } from '../deps.js';
import { callerTenant } from '../tenancy.js';

/**
 * Reads a dataset upload, one of three kinds: an `archive` (ZIP, tar, tar.gz of class folders),
 * `trainCsv` with an optional `testCsv`, or the four IDX files. IDX files are validated and
 * stored as they arrive (201); archives and CSV are staged and imported by a job (202).
 */

type Kind = 'idx' | 'archive' | 'csv';
const KIND_OF: Record<string, Kind> = {
  ...Object.fromEntries(IDX_FIELDS.map((f) => [f, 'idx' as const])),
  archive: 'archive',
  trainCsv: 'csv',
  testCsv: 'csv',
};
export const ACCEPTED =
  'one of: a file field "archive" (ZIP, tar or tar.gz of class folders); "trainCsv" with an optional "testCsv"; ' +
  `or the four IDX files ${IDX_FIELDS.join(', ')}`;
export const TEXT_FIELDS = ['name', 'labels', 'testSplit', 'seed', 'preprocess'] as const;
type TextField = (typeof TEXT_FIELDS)[number];
/** The fields each kind of upload takes besides its files and `name`. */
const OPTIONS: Record<Kind, readonly TextField[]> = {
  idx: ['labels', 'preprocess'],
  archive: ['testSplit', 'seed', 'preprocess'],
  csv: ['testSplit', 'seed', 'preprocess'],
};
/** Room for the `labels` field: MAX_CLASSES names of 64 characters, quoted, in UTF-8. */
const TEXT_FIELD_BYTES = 64 * 1024;

/** Room for gzip's framing on top of MAX_DATASET_BYTES: incompressible data grows a little. */
const GZIP_SLACK = (bytes: number) => 64 * 1024 + Math.ceil(bytes / 1000);

const bad = (message: string, field: string, why: string, code = 'UNEXPECTED_FIELD') =>
  new BadRequestError(message, code, [fieldError(field, why)]);

/** The rule named by a `preprocess` field, or a 400. */
function ruleOf(text: Map<TextField, string>): PreprocessRule {
  const preprocess = (text.get('preprocess') ?? 'mnist') as PreprocessRule;
  if (!PREPROCESS_RULES.includes(preprocess)) {
    throw bad(
      `field "preprocess" must be one of ${PREPROCESS_RULES.join(', ')}`,
      'preprocess',
      'is not a known rule',
      'INVALID_FIELD',
    );
  }
  return preprocess;
}

/** The class names and rule of an IDX upload, checked (a 400 naming the field). */
function uploadClasses(text: Map<TextField, string>, maxClasses: number): UploadClasses {
  const labels = text.get('labels');
  return {
    ...(labels !== undefined ? { labels: parseLabelsField(labels, maxClasses) } : {}),
    ...(text.has('preprocess') ? { preprocess: ruleOf(text) } : {}),
  };
}

function importParams(text: Map<TextField, string>): ImportParams {
  const split = text.get('testSplit');
  const testSplit = split === undefined ? 0.2 : Number(split);
  if (!(testSplit >= 0.05 && testSplit <= 0.5)) {
    throw bad('field "testSplit" must be a number from 0.05 to 0.5', 'testSplit', 'must be 0.05–0.5', 'INVALID_FIELD');
  }
  const seedText = text.get('seed');
  const seed = seedText === undefined ? randomInt(2 ** 32 - 1) : Number(seedText);
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 4294967295) || seedText === '') {
    throw bad(
      'field "seed" must be an integer from 0 to 4294967295',
      'seed',
      'must be an integer 0–4294967295',
      'INVALID_FIELD',
    );
  }
  return { testSplit, seed, preprocess: ruleOf(text) };
}

export async function receiveDatasetUpload(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AppDeps,
): Promise<{ status: 201 | 202; dataset: DatasetInfo }> {
  const { datasets: store, config } = deps;
  const owner = request.caller?.quotaOwner ?? `ip:${request.ip}`;
  const tenant = callerTenant(request);
  const maxFile = config.MAX_DATASET_BYTES + GZIP_SLACK(config.MAX_DATASET_BYTES);
  // Loose part counts: a surplus part is answered by the checks below with a 400 that names it.
  const limits = { fileSize: maxFile, files: IDX_FIELDS.length + 2, fields: 7, parts: 15, fieldSize: TEXT_FIELD_BYTES };
  const begin = async (kind: Kind) => {
    try {
      return kind === 'idx'
        ? await store.forTenant(tenant).beginUpload(owner)
        : await store.forTenant(tenant).beginImport(owner);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'TOO_MANY_UPLOADS') void reply.header('retry-after', '5');
      throw err;
    }
  };
  let kind: Kind | undefined;
  let session: DatasetUploadSession | DatasetImportSession | undefined;
  const seen = new Set<string>();
  const text = new Map<TextField, string>();
  try {
    for await (const part of request.parts({ limits })) {
      if (part.type === 'field') {
        const f = part.fieldname as TextField;
        if (!TEXT_FIELDS.includes(f)) {
          const fields = TEXT_FIELDS.join(', ');
          throw bad(
            `unexpected field "${part.fieldname}"; the text fields are ${fields}`,
            part.fieldname,
            `is not expected: the text fields are ${fields}`,
          );
        }
        if (text.has(f)) throw bad(`field "${f}" is given more than once`, f, 'is given more than once');
        // A value over fieldSize arrives cut off: no accepted value is that long.
        if (part.valueTruncated && f !== 'name')
          throw bad(
            `field "${f}" is longer than ${TEXT_FIELD_BYTES} bytes`,
            f,
            `is longer than ${TEXT_FIELD_BYTES} bytes`,
            'VALIDATION_ERROR',
          );
        text.set(f, part.valueTruncated ? '' : String(part.value));
        // Names and rules are refused as they arrive, before more files are read.
        if (f === 'labels' || f === 'preprocess') uploadClasses(text, config.MAX_CLASSES);
        continue;
      }
      const fieldKind = KIND_OF[part.fieldname];
      if (!fieldKind) {
        throw bad(
          `unexpected file field "${part.fieldname}"; a dataset upload is ${ACCEPTED}`,
          part.fieldname,
          `is not expected: a dataset upload is ${ACCEPTED}`,
        );
      }
      if (kind !== undefined && fieldKind !== kind) {
        throw bad(
          `file field "${part.fieldname}" cannot be mixed with the ${kind} upload begun; a dataset upload is ${ACCEPTED}`,
          part.fieldname,
          'mixes upload kinds',
          'MIXED_UPLOAD',
        );
      }
      if (seen.has(part.fieldname))
        throw bad(`file field "${part.fieldname}" given twice`, part.fieldname, 'is given more than once');
      seen.add(part.fieldname);
      kind = fieldKind;
      session ??= await begin(kind);
      await receiveFile(part, session, kind, maxFile, config.MAX_DATASET_BYTES);
    }
    if (kind === undefined || session === undefined) {
      throw new BadRequestError(`no dataset file given; a dataset upload is ${ACCEPTED}`, 'MISSING_FIELD', [
        fieldError('archive', 'or trainCsv, or the four IDX files, is required'),
      ]);
    }
    const name = text.get('name')?.trim();
    if (!name || name.length > 100) {
      throw bad(
        'field "name" is required (1–100 characters)',
        'name',
        'is required (1–100 characters)',
        'MISSING_FIELD',
      );
    }
    if (kind === 'csv' && !seen.has('trainCsv')) {
      throw bad('file field "trainCsv" is required with "testCsv"', 'trainCsv', 'is required', 'MISSING_FIELD');
    }
    const misplaced = [...text.keys()].find((f) => f !== 'name' && !OPTIONS[kind!].includes(f));
    if (misplaced) {
      const kinds =
        misplaced === 'labels'
          ? 'IDX uploads only (archives and CSV name classes themselves)'
          : 'archive and CSV uploads only';
      throw bad(
        `field "${misplaced}" applies to ${kinds}`,
        misplaced,
        `is not used with ${kind === 'idx' ? 'IDX files' : `an ${kind} upload`}`,
      );
    }
    // Registered first: a tenant whose upload is stored is always among the admin's tenants.
    await deps.jobs.registerTenant(tenant);
    if (kind === 'idx') {
      const dataset = await (session as DatasetUploadSession).commit(name, uploadClasses(text, config.MAX_CLASSES));
      request.log.info({ dataset: dataset.id }, 'dataset uploaded');
      return { status: 201, dataset };
    }
    const dataset = await (session as DatasetImportSession).commit(name, importParams(text));
    try {
      await deps.imports.enqueue({ tenant, dataset: dataset.id });
    } catch (err) {
      // Not queued, never imported: the upload goes rather than stay `importing` for ever.
      await store
        .forTenant(tenant)
        .remove(dataset.id)
        .catch(() => {});
      throw err;
    }
    request.log.info({ dataset: dataset.id, format: dataset.import?.format }, 'dataset import queued');
    return { status: 202, dataset };
  } catch (err) {
    // The rest of a refused body is not read: close the connection rather than drain it.
    void reply.header('connection', 'close');
    throw err;
  } finally {
    await session?.abort();
  }
}

async function receiveFile(
  part: MultipartFile,
  session: DatasetUploadSession | DatasetImportSession,
  kind: Kind,
  maxFile: number,
  maxBytes: number,
): Promise<void> {
  const field = part.fieldname;
  // Past fileSize the parser cuts the file short and ends it: whatever the cut-off stream then
  // fails with (most often "not valid gzip"), the answer is that it was too large.
  const tooLarge = () =>
    new PayloadTooLargeError(
      `${field}: more than ${maxFile} bytes as uploaded; at most ${maxBytes} bytes per file (MAX_DATASET_BYTES)`,
      'PAYLOAD_TOO_LARGE',
    );
  part.file.once('limit', () => part.file.destroy(tooLarge()));
  const adding =
    kind === 'idx'
      ? (session as DatasetUploadSession).addFile(field as UploadField, part.file)
      : (session as DatasetImportSession).addSource(field as ImportField, part.file);
  await adding.catch((err: unknown) => {
    throw part.file.truncated ? tooLarge() : err;
  });
  if (part.file.truncated) throw tooLarge();
}
